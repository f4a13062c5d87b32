"""signalflow: point-in-time monitoring of AI-infrastructure investment theses.

What a plugin author or a caller needs is importable from here: every exception, the
collector and notifier interfaces with the values they take and return, and the series
types. Everything else lives in modules a reader can ignore.

The exceptions load with the package (``errors`` is light); the rest loads on first use
(PEP 562), so ``import signalflow`` stays cheap for the command line, which never needs
pandas to print its help.
"""

import importlib as _importlib
import typing as _typing

from signalflow.errors import (
    ApiError,
    BoundaryMismatch,
    CheckFailed,
    ConfigError,
    DecisionRefused,
    DeliveryError,
    DeliveryOutcomeUnknown,
    EfficiencyError,
    EvaluationError,
    FetchError,
    FrequencyChanged,
    Interrupted,
    PayloadError,
    RateLimited,
    SignalflowError,
    SourceError,
    StoreError,
    ThesisError,
    ThesisSyntaxError,
    ThesisWarning,
    Unreachable,
)

if _typing.TYPE_CHECKING:
    from signalflow.notifiers.base import Notifier, Receipt
    from signalflow.notifiers.notification import DigestEntry, InputLine, Link, Notification, StoryLine
    from signalflow.series import (
        Batch,
        Clock,
        Event,
        IncrementalSeriesProvider,
        KnownAtBasis,
        MemoryProvider,
        Observation,
        SeriesFrame,
        SeriesInfo,
        SeriesKind,
        SeriesProvider,
        Story,
        capped,
        capped_frame,
        default_frequency,
        default_kind,
        describe_known_at,
        end_of_day,
        end_of_day_frame,
        event_stream,
        local_time,
        parse_story_ref,
        publisher_zone,
        story_ref,
        utcnow,
    )
    from signalflow.sources.base import RefWarning, RunOutcome, Source
    from signalflow.store.enums import Kind, Severity

__version__ = "0.1.0"

# Each lazily exported name and the module that defines it.
_LAZY: dict[str, str] = {
    "Batch": "signalflow.series",
    "Clock": "signalflow.series",
    "DigestEntry": "signalflow.notifiers.notification",
    "Event": "signalflow.series",
    "IncrementalSeriesProvider": "signalflow.series",
    "InputLine": "signalflow.notifiers.notification",
    "Kind": "signalflow.store.enums",
    "KnownAtBasis": "signalflow.series",
    "Link": "signalflow.notifiers.notification",
    "MemoryProvider": "signalflow.series",
    "Notification": "signalflow.notifiers.notification",
    "Notifier": "signalflow.notifiers.base",
    "Observation": "signalflow.series",
    "Receipt": "signalflow.notifiers.base",
    "RefWarning": "signalflow.sources.base",
    "RunOutcome": "signalflow.sources.base",
    "SeriesFrame": "signalflow.series",
    "SeriesInfo": "signalflow.series",
    "SeriesKind": "signalflow.series",
    "SeriesProvider": "signalflow.series",
    "Severity": "signalflow.store.enums",
    "Source": "signalflow.sources.base",
    "Story": "signalflow.series",
    "StoryLine": "signalflow.notifiers.notification",
    "capped": "signalflow.series",
    "capped_frame": "signalflow.series",
    "describe_known_at": "signalflow.series",
    "end_of_day": "signalflow.series",
    "end_of_day_frame": "signalflow.series",
    "local_time": "signalflow.series",
    "publisher_zone": "signalflow.series",
    "default_frequency": "signalflow.series",
    "default_kind": "signalflow.series",
    "event_stream": "signalflow.series",
    "parse_story_ref": "signalflow.series",
    "story_ref": "signalflow.series",
    "utcnow": "signalflow.series",
}

__all__ = [
    "ApiError",
    "Batch",
    "BoundaryMismatch",
    "CheckFailed",
    "Clock",
    "ConfigError",
    "DecisionRefused",
    "DeliveryError",
    "DeliveryOutcomeUnknown",
    "DigestEntry",
    "EfficiencyError",
    "EvaluationError",
    "Event",
    "FetchError",
    "FrequencyChanged",
    "IncrementalSeriesProvider",
    "InputLine",
    "Interrupted",
    "Kind",
    "KnownAtBasis",
    "Link",
    "MemoryProvider",
    "Notification",
    "Notifier",
    "Observation",
    "PayloadError",
    "RateLimited",
    "Receipt",
    "RefWarning",
    "RunOutcome",
    "SeriesFrame",
    "SeriesInfo",
    "SeriesKind",
    "SeriesProvider",
    "Severity",
    "SignalflowError",
    "Source",
    "SourceError",
    "StoreError",
    "Story",
    "StoryLine",
    "ThesisError",
    "ThesisSyntaxError",
    "ThesisWarning",
    "Unreachable",
    "__version__",
    "capped",
    "capped_frame",
    "default_frequency",
    "default_kind",
    "describe_known_at",
    "end_of_day",
    "end_of_day_frame",
    "event_stream",
    "local_time",
    "parse_story_ref",
    "publisher_zone",
    "story_ref",
    "utcnow",
]


def __getattr__(name: str) -> object:
    """Import a lazily exported name on first use and keep it, so later lookups are plain."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'signalflow' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
