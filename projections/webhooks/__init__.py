"""Webhook subscriptions (a read model), their delivery log, and the dispatcher."""
