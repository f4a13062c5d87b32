"""Every built-in notifier, registered through the entry-point group and exercised against a
real local endpoint: console (rich), JSON webhook, email over SMTP with STARTTLS."""

from __future__ import annotations

import email
import json
import io
import shutil
import ssl
import subprocess
from datetime import datetime

import pytest

from fakes.http_server import Reply
from fakes.smtp_server import SmtpServer
from signalflow.errors import DeliveryError
from signalflow.notifiers.base import Notifier, Receipt, notifier_classes
from signalflow.notifiers.console import ConsoleNotifier
from signalflow.notifiers.email import EmailNotifier, message_id
from signalflow.notifiers.notification import InputLine, Kind, Notification
from signalflow.notifiers.webhook import WebhookNotifier

AT = datetime(2025, 5, 1, 12, 0)


def answer(status: int, body: str = "", headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, body, headers or {})


def sample(kind: Kind = Kind.FIRING) -> Notification:
    return Notification(
        key=f"liquidity_regime/spread_widening/1/{kind.value}@r",
        alert_key="liquidity_regime/spread_widening/1",
        kind=kind,
        severity="soft_warning",
        thesis="liquidity_regime",
        title="Liquidity regime",
        rule="spread_widening",
        at=AT,
        summary="High-yield spreads widen",
        quadrant="growth only",
        inputs=(InputLine("fred.BAMLH0A0HYM2", 5.6, "percent", "> 5", "2025-04-01", "2025-04-02T00:00:00"),),
        position=(("first_tranche", "1/3 of target"),),
    )


def test_every_builtin_is_registered_through_the_entry_point_group():
    classes = notifier_classes()
    assert {"console", "slack", "webhook", "email"} <= set(classes)
    assert all(issubclass(cls, Notifier) and cls.name == name for name, cls in classes.items() if name in
               {"console", "slack", "webhook", "email"})


def test_notification_survives_its_json_round_trip():
    assert Notification.from_json(sample().to_json()) == sample()


def test_console_prints_headline_inputs_and_checklist():
    out = io.StringIO()
    from rich.console import Console

    ConsoleNotifier(Console(file=out, width=200)).send(sample())
    text = out.getvalue()
    for fact in ("Soft Warning: Liquidity regime", "fred.BAMLH0A0HYM2", "5.6 percent", "> 5", "growth only",
                 "first tranche: 1/3 of target"):
        assert fact in text


@pytest.mark.parametrize(
    ("status", "headers", "permanent", "retry_after"),
    [(429, {"Retry-After": "12"}, False, 12.0), (503, {}, False, None), (404, {}, True, None)],
)
def test_webhook_errors_say_whether_to_retry(http_server, status, headers, permanent, retry_after):
    http_server.routes["/hook"] = answer(status, "no", headers)
    with pytest.raises(DeliveryError) as caught:
        WebhookNotifier(f"{http_server.url}/hook").send(sample())
    assert (caught.value.permanent, caught.value.retry_after) == (permanent, retry_after)


def test_webhook_posts_json_with_an_idempotency_key(http_server):
    http_server.routes["/hook"] = answer(204)
    receipt = WebhookNotifier(f"{http_server.url}/hook").send(sample())
    [request] = http_server.requests
    body = request.json()
    assert request.headers["idempotency-key"] == sample().key
    assert (body["type"], body["rule"], body["inputs"][0]["value"]) == ("signalflow.notification", "spread_widening", 5.6)
    assert receipt.detail == {"status": "204"}


@pytest.fixture
def tls_smtp(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test server's certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server = SmtpServer(server_context).start()
    yield server, ssl.create_default_context(cafile=str(cert))
    server.stop()


def test_email_goes_over_starttls_and_replies_thread_to_the_first_message(tls_smtp):
    server, client_context = tls_smtp
    notifier = EmailNotifier("127.0.0.1", server.port, "sf@example.com", ("owner@example.com",), context=client_context)
    first = notifier.send(sample())
    notifier.send(sample(Kind.RESOLVED), thread=first)
    assert [m.tls for m in server.messages] == [True, True]
    assert server.messages[0].recipients == ["owner@example.com"]
    root, reply = (email.message_from_bytes(m.data) for m in server.messages)
    assert root["Subject"] == "Soft Warning: Liquidity regime"
    assert root["Message-ID"] == message_id(sample().key) == first.detail["message_id"]
    assert reply["In-Reply-To"] == root["Message-ID"]
    assert "fred.BAMLH0A0HYM2: 5.6 percent (threshold > 5)" in root.get_payload()


def test_email_refuses_a_server_whose_certificate_it_does_not_trust(tls_smtp):
    server, _ = tls_smtp
    notifier = EmailNotifier("127.0.0.1", server.port, "sf@example.com", ("owner@example.com",),
                             context=ssl.create_default_context())
    with pytest.raises(DeliveryError):
        notifier.send(sample())
    assert server.messages == []


def test_receipt_round_trip():
    receipt = Receipt("slack", channel="C1", ts="1.2", detail={"a": "b"})
    assert Receipt.from_json(receipt.to_json()) == receipt


def digest_sample() -> Notification:
    from signalflow.notifiers.notification import DigestEntry

    entries = (
        DigestEntry("credit/spread_blowout/1", "credit", "Credit watch", "spread_blowout", "kill_switch",
                    datetime(2025, 4, 28, 9, 0), "Spread above 8",
                    (InputLine("fred.TESTHY", 9.1, "percent", "> 8", "2025-04-27", "2025-04-28T00:00:00"),)),
        DigestEntry("liquidity_regime/spread_widening/1", "liquidity_regime", "Liquidity regime", "spread_widening",
                    "soft_warning", datetime(2025, 4, 29, 9, 0), "High-yield spreads widen",
                    decision="hold: spreads below 6 (until 2025-05-01), expired (decided 2025-04-29)"),
    )
    return Notification(key="digest/2025-05-01T00:00@r", alert_key="digest/2025-05-01T00:00", kind=Kind.DIGEST,
                        severity="kill_switch", thesis="signalflow", title="Daily digest: 2 alerts still firing",
                        rule="", at=AT, summary="credit/spread_blowout, liquidity_regime/spread_widening",
                        note="1 acknowledged alert not shown", digest=entries)


DIGEST_FACTS = ("Daily digest: 2 alerts still firing", "Credit watch", "spread_blowout", "fred.TESTHY", "9.1 percent",
                "> 8", "2025-04-28", "Liquidity regime", "hold: spreads below 6", "1 acknowledged alert not shown")


def test_a_digest_round_trips_and_every_builtin_renders_it(http_server, tls_smtp):
    from rich.console import Console

    assert Notification.from_json(digest_sample().to_json()) == digest_sample()
    out = io.StringIO()
    ConsoleNotifier(Console(file=out, width=250)).send(digest_sample())
    http_server.routes["/hook"] = answer(200)
    WebhookNotifier(f"{http_server.url}/hook").send(digest_sample())
    server, client_context = tls_smtp
    EmailNotifier("127.0.0.1", server.port, "sf@example.com", ("owner@example.com",), context=client_context).send(digest_sample())

    [mail] = (email.message_from_bytes(m.data) for m in server.messages)
    body = http_server.requests[0].json()
    for name, text in {"console": out.getvalue(), "email": mail["Subject"] + mail.get_payload()}.items():
        assert [fact for fact in DIGEST_FACTS if fact not in text] == [], (name, text)
    assert [e["rule"] for e in body["digest"]] == ["spread_blowout", "spread_widening"]
    assert body["digest"][0]["inputs"][0]["value"] == 9.1 and body["kind"] == "digest"


def test_a_digest_queued_by_a_newer_version_is_read_without_the_fields_it_added():
    data = digest_sample().to_dict()
    data["added_later"] = 1
    data["digest"][0]["added_later"] = {"x": 1}
    data["digest"][0]["inputs"][0]["added_later"] = "y"
    assert Notification.from_json(json.dumps(data)) == digest_sample()
