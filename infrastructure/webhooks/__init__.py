"""Webhooks: where they may go, what they carry, how they are sent and retried."""
