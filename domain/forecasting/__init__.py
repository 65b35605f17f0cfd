"""Spending forecasts: a period's spending forecast from the monthly history, recorded."""
