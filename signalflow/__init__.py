"""signalflow: point-in-time monitoring of AI-infrastructure investment theses."""

from signalflow.errors import (
    CheckFailed,
    ConfigError,
    DeliveryError,
    EvaluationError,
    FetchError,
    PayloadError,
    SignalflowError,
    SourceError,
    StoreError,
    ThesisError,
)

__version__ = "0.1.0"

__all__ = [
    "CheckFailed",
    "ConfigError",
    "DeliveryError",
    "EvaluationError",
    "FetchError",
    "PayloadError",
    "SignalflowError",
    "SourceError",
    "StoreError",
    "ThesisError",
    "__version__",
]
