"""The relay: publishes every event to NATS JetStream, exactly once per event id."""
