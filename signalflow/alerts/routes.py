"""Which routes a thesis's notifications take: its ``notify:`` names, or every configured
notifier when it names none."""

from __future__ import annotations

import logging

from signalflow.notifiers.base import notifier_classes
from signalflow.settings import Route, Settings
from signalflow.thesis.model import Thesis

log = logging.getLogger(__name__)


def default_routes(settings: Settings) -> list[Route]:
    """The named routes of the settings, or else one route per configured notifier
    (the console always: it is the embedded default)."""
    if settings.routes:
        return list(settings.routes)
    routes = []
    for name, cls in sorted(notifier_classes().items()):
        if cls.configured(settings):
            routes.append(Route(name=name, notifier=name))
    return routes


def resolve_routes(thesis: Thesis, settings: Settings) -> list[Route]:
    """A ``notify:`` name is a route of the settings or, failing that, a notifier name; an
    unknown name is logged and skipped (``signalflow check`` reports it)."""
    if not thesis.notify:
        return default_routes(settings)
    named = {route.name: route for route in settings.routes}
    classes = notifier_classes()
    routes = []
    for name in thesis.notify:
        if name in named:
            routes.append(named[name])
        elif name in classes:
            routes.append(Route(name=name, notifier=name))
        else:
            log.warning("thesis %s: notify route %r is neither a route nor a notifier", thesis.id, name)
    return routes


def accepts(route: Route, severity: str) -> bool:
    return severity in route.severities
