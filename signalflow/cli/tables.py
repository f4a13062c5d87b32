"""Tables that read at any width: columns carry a priority, and when the terminal (or a
pipe, 80 columns) is too narrow the least important ones are dropped, named in a caption,
instead of every cell being cut to a stub. Every plain string is data and printed as is:
rich markup is applied only to :class:`rich.text.Text` cells the command styles itself.

    table = fit_table([Col("thesis", no_wrap=True), Col("stalest input", priority=3)], rows)
    Console().print(table)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

WORD_CAP = 24  # a wrapping column is never squeezed below its longest word, up to this


@dataclass(frozen=True)
class Col:
    """A column; ``priority`` 0 is always shown, higher numbers are dropped first."""

    header: str
    priority: int = 0
    no_wrap: bool = False
    justify: str = "left"


def cell(value: object, style: str = "") -> Text:
    """A data value as a cell: never read as markup."""
    return value if isinstance(value, Text) else Text("" if value is None else str(value), style=style)


def fit_table(
    columns: Sequence[Col],
    rows: Sequence[Sequence[object]],
    *,
    title: str | None = None,
    width: int | None = None,
    console: Console | None = None,
    group: int | None = None,
) -> Table:
    """A rich Table of ``rows`` that fits ``width`` (default: the console's) by dropping the
    lowest-priority columns whose minimum widths do not fit. ``group``: a column whose
    value, where not empty, starts a group of rows (a board's layer); when that column is
    dropped, each group gets a heading row of its own instead, so the grouping still shows."""
    width = width or (console or Console()).width
    cells = [[cell(v) for v in row] for row in rows]
    keep = list(range(len(columns)))

    def minimum(i: int) -> int:
        texts = [columns[i].header] + [row[i].plain for row in cells if i < len(row)]
        if columns[i].no_wrap:
            return max(len(line) for t in texts for line in (t.splitlines() or [""]))
        return min(WORD_CAP, max((len(w) for t in texts for w in t.split()), default=1))

    def needed() -> int:
        return sum(minimum(i) + 3 for i in keep) + 1  # padding and the dividers

    for i in sorted(range(len(columns)), key=lambda i: (-columns[i].priority, -i)):
        if needed() <= width:
            break
        if columns[i].priority > 0:
            keep.remove(i)
    headed = group is not None and group not in keep
    dropped = [columns[i].header for i in range(len(columns)) if i not in keep and not (headed and i == group)]
    table = Table(
        title=title,
        caption=f"not shown at this width: {', '.join(dropped)} (widen the terminal or use --json)" if dropped else None,
        caption_justify="left",
    )
    for i in keep:
        table.add_column(
            columns[i].header, no_wrap=columns[i].no_wrap, justify=columns[i].justify,  # type: ignore[arg-type]
            min_width=minimum(i), overflow="fold",
        )
    for n, row in enumerate(cells):
        if headed and group < len(row) and row[group].plain:
            if n:
                table.add_section()
            table.add_row(Text(row[group].plain, style="bold"), *(Text("") for _ in keep[1:]))
        table.add_row(*(row[i] if i < len(row) else Text("") for i in keep))
    return table
