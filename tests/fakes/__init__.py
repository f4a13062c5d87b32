"""Fakes that speak real protocols: a Slack Web API server, an SMTP server."""
