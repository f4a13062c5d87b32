"""Deciding from Slack: one Bolt app behind two transports (the daemon's Request URL and
Socket Mode).

    desk = SlackDesk(settings, store, theses=lambda: loaded, counters=counters)
    status, ctype, body = desk.http(headers, raw_body)        # POST /slack/interactions
    desk.socket_mode().connect()                               # or: no public URL needed

A decision button opens the modal; its submission is checked by
:func:`signalflow.alerts.ack.check_decision` (errors shown in the modal) and recorded, both by
:func:`signalflow.service.acknowledge` exactly as for ``signalflow ack``, once per
stable key; the decision is then posted in the alert's thread and shown on its root.
Only ``slack_deciders`` may decide; "Explain" and ``/signalflow`` only read.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from signalflow import service
from signalflow.alerts.message import explained_stories
from signalflow.errors import DecisionRefused, SignalflowError
from signalflow.notifiers.slack_settings import SlackSettings
from signalflow.ops.metrics import Counters
from signalflow.settings import Settings
from signalflow.slackapp.views import (
    MODAL,
    Submission,
    Target,
    decided_root,
    decision_modal,
    explain_text,
    journal_text,
    status_text,
)
from signalflow.store import Store
from signalflow.store.interactions import claim, forget
from signalflow.store.models import utcnow
from signalflow.thesis.model import Thesis

log = logging.getLogger(__name__)

PATHS = ("/slack/interactions", "/slack/commands")
DECIDE = re.compile(r"^signalflow_(hold|trim|exit|ignore)$")
STALE_AFTER = 5 * 60  # seconds: Slack's own rule for a request's timestamp
USAGE = "usage: /signalflow status | explain THESIS | journal THESIS"


def decider_ids(config: SlackSettings) -> frozenset[str]:
    """``slack_deciders`` as a set of Slack user IDs; empty: nobody decides from Slack."""
    return frozenset(part.strip() for part in config.deciders.split(",") if part.strip())


def desk_for(
    settings: Settings, store: Store, theses: Callable[[], Sequence[Thesis]], counters: Counters
) -> SlackDesk | None:
    """The desk when interactivity is configured (a bot token, and a signing secret or an
    app-level token); None otherwise."""
    if not settings.section(SlackSettings).interactive:
        return None
    return SlackDesk(settings, store, theses, counters=counters)


class SlackDesk:
    """The Bolt app and its handlers over one store; ``theses`` gives the loaded rule set."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        theses: Callable[[], Sequence[Thesis]],
        *,
        counters: Counters | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        config = settings.section(SlackSettings)
        if config.bot_token is None:
            raise SignalflowError("deciding from Slack needs slack_bot_token (and a signing secret or an app token)")
        self.store = store
        self.theses = theses
        self.counters = counters or Counters()
        self.clock = clock
        self.deciders = decider_ids(config)
        self.app_token = config.app_token.get_secret_value() if config.app_token else None
        self.request_url = config.signing_secret is not None
        # Without a signing secret no HTTP request can be verified: a random one refuses them all.
        secret = config.signing_secret.get_secret_value() if config.signing_secret else secrets.token_hex(32)
        self.verifier = SignatureVerifier(secret)
        client = WebClient(token=config.bot_token.get_secret_value(), base_url=config.api_url.get_secret_value(), retry_handlers=[])
        self.executor = _Tracked(max_workers=2, thread_name_prefix="signalflow-slack")
        self._recorded: dict[str, Submission] = {}  # decisions recorded, waiting to be shown
        self._lock = threading.Lock()
        self.app = App(
            client=client,
            signing_secret=secret,
            token_verification_enabled=False,
            process_before_response=True,  # the modal's errors go in the HTTP answer itself
            listener_executor=self.executor,
            logger=log,
        )
        # What may take long (the engine for Explain, Slack calls after a decision) runs after
        # the ack, so Slack gets its answer within its 3 seconds.
        self.app.action(DECIDE)(self._decide)
        self.app.action("signalflow_explain")(ack=_ack, lazy=[self._explain])
        self.app.view(MODAL)(ack=self._submit, lazy=[self._show])
        self.app.command("/signalflow")(ack=self._command, lazy=[self._command_later])

    def drain(self, timeout: float = 30.0) -> None:
        """Wait for the work started after acks (the daemon's stop, tests)."""
        self.executor.drain(timeout)

    def http(self, headers: dict[str, str], body: bytes) -> tuple[int, str, str]:
        """One request to a Slack Request URL: 401 unless signed with the signing secret
        within five minutes and never seen before, then Bolt's answer."""
        lower = {k.lower(): v for k, v in headers.items()}
        timestamp = lower.get("x-slack-request-timestamp", "")
        signature = lower.get("x-slack-signature", "")
        if not (timestamp and signature):
            return self._refuse("unsigned")
        try:
            age = abs(self.verifier.clock.now() - int(timestamp))
        except ValueError:
            return self._refuse("forged")
        if age > STALE_AFTER:
            return self._refuse("stale")
        if not self.verifier.is_valid(body, timestamp, signature):
            return self._refuse("forged")
        now = self.clock()
        with self.store.session() as session:
            forget(session, "request", now - timedelta(seconds=2 * STALE_AFTER))
            fresh = claim(session, f"sig:{signature}", "request", "", now)
        if not fresh:
            return self._refuse("replayed")
        self.counters.add("slack_requests", "accepted")
        response = self.app.dispatch(BoltRequest(body=body.decode("utf-8", "replace"), headers=lower))
        ctype = (response.headers.get("content-type") or ["application/json"])[0]
        return response.status, ctype, response.body or ""

    def socket_mode(self):
        """The same app over Socket Mode (slack-sdk's client, the app-level token)."""
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        if not self.app_token:
            raise SignalflowError("Socket Mode needs slack_app_token (xapp-...)")

        class Handler(SocketModeHandler):
            def close(self) -> None:
                super().close()
                # close() disconnects, then joins the client's reconnect monitor; a reconnect
                # that monitor was making meanwhile leaves a new session open: close it too
                self.client.disconnect()

        return Handler(self.app, self.app_token, web_client=self.app.client)

    def _refuse(self, verdict: str) -> tuple[int, str, str]:
        self.counters.add("slack_requests", verdict)
        log.warning("slack request refused", extra={"verdict": verdict})
        return 401, "text/plain; charset=utf-8", f"refused: {verdict} request\n"

    def _decide(self, ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user = body["user"]["id"]
        target = Target.from_action(body)
        if user not in self.deciders:
            client.chat_postEphemeral(channel=target.channel, user=user, text=_not_a_decider(user))
            return
        decision = DECIDE.match(body["actions"][0]["action_id"]).group(1)
        client.views_open(trigger_id=body["trigger_id"], view=decision_modal(target, decision))

    def _explain(self, body: dict[str, Any], client: WebClient) -> None:
        target = Target.from_action(body)
        action_ts = body["actions"][0].get("action_ts", "")
        with self.store.session() as session:
            if not claim(session, f"explain:{target.channel}:{target.ts}:{action_ts}", "explain", body["user"]["id"], self.clock()):
                return
        client.chat_postMessage(channel=target.channel, thread_ts=target.ts, text=self._explain_text(target.thesis))

    def _submit(self, ack, body: dict[str, Any], client: WebClient) -> None:
        submission = Submission.from_view(body)
        if submission.user not in self.deciders:
            ack(response_action="errors", errors={"note": _not_a_decider(submission.user)})
            return
        against = {t.id: t for t in self.theses()}.get(submission.target.thesis)
        try:  # checked by service.acknowledge exactly as `signalflow ack` is
            rows = service.acknowledge(
                self.store, submission.target.thesis, submission.choice(), submission.note,
                rule=submission.target.rule, until=submission.until, unless=submission.unless, now=self.clock(),
                against=against, once=submission.key(),
            )
        except DecisionRefused as exc:
            ack(response_action="errors", errors={exc.field: exc.problem[:150]})
            return
        except SignalflowError as exc:
            ack(response_action="errors", errors={"note": str(exc)[:150]})
            return
        if rows:  # else a retry or a second submit of the same decision: recorded and shown already
            with self._lock:
                self._recorded[submission.key()] = submission
        ack()

    def _show(self, body: dict[str, Any], client: WebClient) -> None:
        """Post a decision just recorded in the alert's thread and show it on the root."""
        key = Submission.from_view(body).key()
        with self._lock:
            submission = self._recorded.pop(key, None)
        if submission is None:
            return
        target = submission.target
        client.chat_postMessage(channel=target.channel, thread_ts=target.ts, text=submission.text())
        found = client.conversations_replies(channel=target.channel, ts=target.ts, limit=1)
        root = (found.get("messages") or [{}])[0]
        client.chat_update(
            channel=target.channel, ts=target.ts, text=root.get("text", "") or submission.text(),
            blocks=decided_root(root.get("blocks") or [], submission),
        )

    def _command(self, ack, command: dict[str, Any]) -> None:
        verb, args = _words(command)
        try:
            if verb == "status" and not args:
                text = status_text(self.store.engine_states())
            elif verb == "explain" and len(args) == 1:
                text = f"explaining {args[0]}…"  # the engine may take longer than Slack waits
            elif verb == "journal" and len(args) == 1:
                text = journal_text(service.journal(self.store, args[0]))
            else:
                text = USAGE
        except SignalflowError as exc:
            text = f"error: {exc}"
        ack(response_type="ephemeral", text=text)

    def _command_later(self, command: dict[str, Any], respond) -> None:
        verb, args = _words(command)
        if verb == "explain" and len(args) == 1:
            try:
                text = self._explain_text(args[0])
            except SignalflowError as exc:
                text = f"error: {exc}"
            respond(text=text, response_type="ephemeral", replace_original=False)

    def _explain_text(self, thesis_id: str) -> str:
        from signalflow.thesis.engine import explain

        theses = {t.id: t for t in self.theses()}
        if thesis_id not in theses:
            return f"unknown thesis {thesis_id!r}: known are {', '.join(sorted(theses)) or 'none'}"
        status = explain(theses[thesis_id], self.store, self.clock().replace(microsecond=0))
        return explain_text(status, explained_stories(self.store, status))


def _words(command: dict[str, Any]) -> tuple[str, list[str]]:
    words = (command.get("text") or "").split()
    return (words[0].lower(), words[1:]) if words else ("", [])


def _ack(ack) -> None:
    ack()


class _Tracked(ThreadPoolExecutor):
    """A thread pool whose submitted work can be waited for without shutting it down."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.futures: list[Future] = []

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = super().submit(fn, *args, **kwargs)
        self.futures = [f for f in self.futures if not f.done()] + [future]
        return future

    def drain(self, timeout: float) -> None:
        wait(list(self.futures), timeout=timeout)


def _not_a_decider(user: str) -> str:
    return (f"<@{user}> is not in slack_deciders: nothing was recorded. "
            "Ask the owner to add your Slack user ID to SIGNALFLOW_SLACK_DECIDERS, or use `signalflow ack`.")

