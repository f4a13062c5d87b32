"""The journal: every alert episode and every decision, oldest first. Read-only: nothing in
signalflow deletes these rows. The query lives in the store (``store/alerts.py``)."""

from signalflow.store.alerts import EntryKind, JournalEntry, journal

__all__ = ["EntryKind", "JournalEntry", "journal"]
