"""Every exception signalflow raises on purpose.

    SignalflowError
    ├── ConfigError (ValueError)             a setting is missing or wrong
    ├── SourceError (RuntimeError)           a collector could not produce data
    │   ├── FetchError                       HTTP failed after retries
    │   │   ├── RateLimited                  429 that outlasted the retries
    │   │   ├── Unreachable                  the host cannot be reached (DNS, refused)
    │   │   └── Interrupted                  not retried: signalflow is stopping
    │   ├── PayloadError (ValueError)        a payload is not in the format it claims
    │   └── ApiError                         the service answered with an error object
    ├── StoreError (RuntimeError)            the database refused or is inconsistent
    │   └── FrequencyChanged                 data would change a stored series' frequency
    ├── ThesisError (ValueError)             a thesis file or expression is wrong
    │   ├── ThesisSyntaxError                the expression grammar rejected a text
    │   ├── ThesisWarning                    worth saying, but the thesis still runs (review_by passed)
    │   └── CheckFailed                      `check` found one or more problems
    ├── EvaluationError (RuntimeError)       a valid thesis failed to evaluate
    ├── EfficiencyError (ValueError)         an efficiency estimate cannot be computed
    │   └── BoundaryMismatch                 tokens/J compared across power boundaries
    ├── DeliveryError (RuntimeError)         a notifier could not deliver
    │   └── DeliveryOutcomeUnknown           sent, but we cannot tell whether it arrived
    └── DecisionRefused (ValueError)         an ack (CLI or Slack) that could never re-arm

Each exception builds its message from its arguments, so the text always names the
source, file, line or series involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SignalflowError(Exception):
    """Base class for every error signalflow raises on purpose."""


class ConfigError(SignalflowError, ValueError):
    def __init__(self, setting: str, problem: str, hint: str | None = None) -> None:
        self.setting = setting
        self.problem = problem
        self.hint = hint
        text = f"setting {setting}: {problem}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class SourceError(SignalflowError, RuntimeError):
    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class FetchError(SourceError):
    def __init__(self, source: str, url: str, problem: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        where = f"{url} (HTTP {status})" if status else url
        super().__init__(source, f"{where}: {problem}")


class RateLimited(FetchError):
    def __init__(self, source: str, url: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        hint = f"; server asks to wait {retry_after:g}s" if retry_after else ""
        super().__init__(source, url, f"rate limited (429) after retries{hint}", status=429)


class Unreachable(FetchError):
    """The host cannot be reached at all (name resolution, connection refused): the other
    series of the same host would fail the same way, so a run stops at the first."""

    def __init__(self, source: str, url: str, reason: str) -> None:
        from urllib.parse import urlsplit

        self.host = urlsplit(url).hostname or url
        self.reason = reason
        SourceError.__init__(self, source, f"cannot reach {self.host} ({reason})")
        self.url = url
        self.status = None


class Interrupted(FetchError):
    """A fetch not retried because signalflow is stopping (Ctrl-C, SIGTERM): not a failure
    of the source."""

    def __init__(self, source: str, url: str, last_error: str) -> None:
        super().__init__(source, url, f"not retried: signalflow is stopping (last error: {last_error})")


class PayloadError(SourceError, ValueError):
    """A payload is not what it claims to be; names the file or URL and, when known, the line."""

    def __init__(self, origin: str, problem: str, line: int | None = None) -> None:
        self.origin = origin
        self.line = line
        where = f"{origin}:{line}" if line is not None else origin
        super().__init__(where, problem)


class ApiError(SourceError):
    """An API replied with an error object instead of data (FRED's ``{"error_code": 429, ...}``)."""

    def __init__(self, origin: str, code: int, message: str) -> None:
        self.origin = origin
        self.code = code
        self.message = message
        super().__init__(origin, f"API error {code}: {' '.join(message.split()) or 'no message'}")


class StoreError(SignalflowError, RuntimeError):
    pass


class FrequencyChanged(StoreError):
    """Data of another frequency for a stored series (a monthly-average file imported as a
    daily series): refused unless asked for, since it would silently replace the series."""

    def __init__(self, series: str, old: str, new: str, flag: str = "--allow-frequency-change") -> None:
        self.series = series
        self.old = old
        self.new = new
        super().__init__(
            f"{series} is stored as a {old} series and this data is {new}: refusing to change its "
            f"frequency (check the file is the series you meant; {flag} imports it anyway)"
        )


@dataclass(frozen=True)
class Location:
    """A place in a thesis file; line and column are 1-based."""

    path: Path | str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [str(self.path) if self.path else "<text>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class ThesisError(SignalflowError, ValueError):
    def __init__(self, location: Location, problem: str, hint: str | None = None) -> None:
        self.location = location
        self.problem = problem
        self.hint = hint
        text = f"{location}: {problem}"
        if hint:
            text += f"; {hint}"
        super().__init__(text)


class ThesisSyntaxError(ThesisError):
    pass


class ThesisWarning(ThesisError):
    """A problem `check` reports without failing: the thesis still loads and runs."""


class CheckFailed(ThesisError):
    """Several problems at once; `problems` keeps each one with its own location."""

    def __init__(self, problems: list[ThesisError]) -> None:
        self.problems = problems
        first = problems[0].location if problems else Location()
        text = "\n".join(str(p) for p in problems)
        ThesisError.__init__(self, first, f"{len(problems)} problem(s)\n{text}")


class EvaluationError(SignalflowError, RuntimeError):
    def __init__(self, thesis: str, problem: str) -> None:
        self.thesis = thesis
        self.problem = problem
        super().__init__(f"thesis {thesis}: {problem}")


class EfficiencyError(SignalflowError, ValueError):
    """An efficiency estimate, datapoint or claim is unknown or inconsistent."""

    def __init__(self, subject: str, problem: str) -> None:
        self.subject = subject
        self.problem = problem
        super().__init__(f"efficiency {subject}: {problem}")


class BoundaryMismatch(EfficiencyError):
    """Two tokens-per-joule figures measured at different power boundaries were compared."""

    def __init__(self, left: str, left_boundary: str, right: str, right_boundary: str) -> None:
        self.left_boundary = left_boundary
        self.right_boundary = right_boundary
        super().__init__(
            f"{left} vs {right}",
            f"measured at {left_boundary} and {right_boundary}: convert both to one boundary first",
        )


class DeliveryError(SignalflowError, RuntimeError):
    def __init__(
        self, notifier: str, problem: str, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        self.notifier = notifier
        self.problem = problem
        self.retry_after = retry_after
        self.permanent = permanent
        super().__init__(f"notifier {notifier}: {problem}")


class DeliveryOutcomeUnknown(DeliveryError):
    """The request left but no answer came back: reconcile before sending again."""


class DecisionRefused(SignalflowError, ValueError):
    """A decision refused before anything is recorded; ``field`` names the input at fault
    (``until``, ``unless``, ``note``, ``decision``) so a form can show the message beside it."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")
