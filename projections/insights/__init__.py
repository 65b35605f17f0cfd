"""Insights: statistics and anomaly detection over the transactions and ledger read models."""
