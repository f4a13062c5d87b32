"""The console notifier: a rich panel per notification, on stdout (the embedded default)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from signalflow.notifiers.base import Notifier, Receipt, describe
from signalflow.notifiers.notification import Kind, Notification

if TYPE_CHECKING:
    from rich.console import Console

    from signalflow.settings import Route, Settings

STYLE = {"kill_switch": "bold red", "soft_warning": "yellow", "info": "cyan"}


class ConsoleNotifier(Notifier):
    name = "console"

    def __init__(self, console: Console | None = None) -> None:
        from rich.console import Console

        self.console = console or Console()

    @classmethod
    def from_settings(cls, settings: Settings, route: Route | None = None) -> ConsoleNotifier:
        return cls()

    def send(self, notification: Notification, thread: Receipt | None = None) -> Receipt:
        self.console.print(render(notification))
        return Receipt(self.name)


def render(n: Notification):
    """A rich renderable: the headline as title, then rule, inputs, quadrant and checklist;
    a digest as one table row per alert still firing."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    if n.kind is Kind.DIGEST:
        return render_digest(n)

    body = Table.grid(padding=(0, 1))
    body.add_row(Text(f"{n.rule}: {n.summary}", style="bold"))
    if n.expression:
        body.add_row(Text(n.expression, style="dim"))
    if n.why:
        body.add_row(n.why)
    if n.cause:
        body.add_row(Text(f"Because {n.cause}"))
    if n.inputs:
        inputs = Table("input", "value", "threshold", "period", "known at", "source", box=None)
        for line in n.inputs:
            value = describe(line.value) + (f" {line.unit}" if line.unit else "")
            known = f"{line.known}\n{line.published}" if line.published else line.known
            inputs.add_row(line.ref, value, line.threshold, line.period, known, line.url or line.source_ref)
        body.add_row(inputs)
    if n.stories:
        body.add_row(Text("Stories behind the value", style="bold"))
        for story in n.stories:  # feed text: Text, never markup
            body.add_row(Text(f"• {story.text}\n  {story.url}"))
    body.add_row(f"Growth × Liquidity: {n.quadrant or 'unknown'} · thesis state: {n.state or 'unknown'}")
    if n.plan:
        body.add_row(Text(f"Plan: {n.plan}", style="bold"))
    for key, value in n.position:
        body.add_row(f"• {key.replace('_', ' ')}: {value}")
    if n.note:
        body.add_row(Text(f"Decision: {n.note}", style="italic"))
    style = "green" if n.kind is Kind.RESOLVED else STYLE.get(n.severity, "")
    return Panel(body, title=Text(n.headline, style=style), subtitle=f"{n.thesis} · {n.at:%Y-%m-%d %H:%M} UTC")


def render_digest(n: Notification):
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    table = Table("alert", "since", "latest values", "decision", box=None)
    for e in n.digest:
        alert = Text(f"{e.severity_label} · {e.title}\n", style=STYLE.get(e.severity, ""))
        alert.append(f"{e.thesis}/{e.rule}: {e.summary}", style="")
        if e.plan:
            alert.append(f"\nPlan: {e.plan}", style="bold")
        values = Text("\n".join(
            f"{i.ref} = {describe(i.value)}{f' {i.unit}' if i.unit else ''}"
            + (f" ({i.threshold})" if i.threshold else "")
            + (f", known {i.known_text}" if i.known_at else "")
            for i in e.inputs
        ))
        for story in e.stories:  # feed text: Text, never markup
            values.append(f"\n• {story.text}\n  {story.url}")
        table.add_row(alert, f"{e.fired_at:%Y-%m-%d %H:%M}", values, e.decision or "not acknowledged")
    body = Table.grid()
    body.add_row(table)
    if n.note:
        body.add_row(Text(n.note, style="dim"))
    return Panel(body, title=Text(n.headline, style=STYLE.get(n.severity, "")), subtitle=f"{n.at:%Y-%m-%d %H:%M} UTC")
