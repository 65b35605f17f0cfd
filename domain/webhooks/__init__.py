"""Webhook subscriptions: where a workspace's events are POSTed, signed."""
