"""Handing a conversation to a person: what the case carries and how Slack shows it."""
