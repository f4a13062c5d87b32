"""A clock that moves only when someone sleeps, so a test controls time and never waits."""

from __future__ import annotations


class FakeClock:
    """Monotonic seconds: call it for now, pass ``sleep`` where a real sleep would go.

    Every sleep is recorded in ``sleeps`` and advances ``now``; a test may also move ``now``
    itself to stand for time passing elsewhere.
    """

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
