"""Deciding from Slack: decision buttons, the modal, Explain and ``/signalflow``, over the
daemon's Request URL or Socket Mode (see :mod:`signalflow.slackapp.app`)."""

from signalflow.slackapp.app import PATHS, SlackDesk, decider_ids, desk_for

__all__ = ["PATHS", "SlackDesk", "decider_ids", "desk_for"]
