"""Storage: tables, sessions, migrations, and point-in-time reads. Knows nothing of Slack or YAML.

``Store`` (``repo.py``) reads and writes observations, events, source memory and engine
state; ``store.alerts`` and ``store.outbox`` hold the alert, decision, journal and outbox
queries (``outbox.queue`` is the one writer of outbox rows); ``store.news`` the news stories
and their members; ``store.enums`` the closed sets
the tables keep as strings.
"""

from signalflow.store.repo import Store, WriteResult

__all__ = ["Store", "WriteResult"]
