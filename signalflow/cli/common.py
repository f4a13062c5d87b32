"""Small things every command needs: settings, the store, one-line errors, JSON output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def friendly_errors(func: F) -> F:
    """Turn the errors a user can cause into one clear line and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pydantic import ValidationError

        from signalflow.errors import SignalflowError
        from signalflow.redact import redact

        try:
            return func(*args, **kwargs)
        except SignalflowError as exc:
            raise fail(redact(exc)) from None  # an error may quote a URL's credentials
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise fail(f"invalid settings: {problems}") from None

    return wrapper  # type: ignore[return-value]


def load_settings(**overrides: Any):
    from signalflow.settings import Settings

    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def setup_logging(settings) -> None:
    from signalflow.logs import configure

    configure(settings.log_level, settings.log_json)


def parse_when(text: str | None) -> datetime | None:
    """A date (start of that day, UTC) or an ISO datetime."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD) or ISO datetime") from None
    if value.tzinfo is not None:
        from datetime import timezone

        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=_default)
    sys.stdout.write("\n")


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "to_json"):
        return value.to_json()
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, set):
        return sorted(value)
    return str(value)
