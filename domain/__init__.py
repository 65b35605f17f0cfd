"""Aggregates, their events and rules, one subpackage per bounded context."""
