"""Storage: tables, sessions, migrations, and point-in-time reads. Knows nothing of Slack or YAML.

``Store`` (``repo.py``) reads and writes observations, events, source memory and engine
state; ``store.alerts`` and ``store.outbox`` hold the alert, decision, journal and outbox
queries (``outbox.queue`` is the one writer of outbox rows); ``store.news`` the news stories
and their members; ``store.enums`` the closed sets
the tables keep as strings.

``Store`` loads on first use (PEP 562): ``store.enums`` is read by the thesis loader, and
``signalflow check`` should not pay for SQLAlchemy and pandas to get at a few strings.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from signalflow.store.repo import Store, WriteResult

__all__ = ["Store", "WriteResult"]


def __getattr__(name: str) -> object:
    if name not in __all__:
        raise AttributeError(f"module 'signalflow.store' has no attribute {name!r}")
    from signalflow.store import repo

    value = getattr(repo, name)
    globals()[name] = value
    return value
