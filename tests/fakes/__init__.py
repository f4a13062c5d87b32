"""Fakes that speak real protocols, used instead of mocks: a local HTTP server, the FRED
graph feed on it, a Slack Web API server, an SMTP server, a recording notifier, a clock that
moves only when slept on, and thesis builders."""
