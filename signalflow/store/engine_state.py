"""The engine's memory for one thesis, as the store keeps it (``rule_state`` rows).

The record is plain data (an instant, and JSON-able dicts the engine fills in), so the store
can persist and return it without knowing anything of theses; ``thesis/live.py`` gives the
dicts their meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class EngineState:
    """What live evaluation must remember between passes, per thesis: the instant of the
    last evaluation and each rule's lifecycle memory. Serialized as JSON in the store."""

    thesis: str
    evaluated_at: datetime | None = None
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    fingerprint: str = ""  # hash of the thesis definition; a change resets the state
    memory: dict[str, Any] = field(default_factory=dict)  # thesis-level memory (state, since, rows seen)

    def to_json(self) -> dict[str, Any]:
        return {
            "thesis": self.thesis,
            "evaluated_at": self.evaluated_at.isoformat() if self.evaluated_at else None,
            "rules": self.rules,
            "fingerprint": self.fingerprint,
            "memory": self.memory,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EngineState:
        at = data.get("evaluated_at")
        return cls(
            thesis=data["thesis"],
            evaluated_at=datetime.fromisoformat(at) if at else None,
            rules=dict(data.get("rules") or {}),
            fingerprint=data.get("fingerprint", ""),
            memory=dict(data.get("memory") or {}),
        )
