"""Storage: tables, sessions, migrations, and point-in-time reads. Knows nothing of Slack or YAML."""

from signalflow.store.repo import Store, WriteResult

__all__ = ["Store", "WriteResult"]
