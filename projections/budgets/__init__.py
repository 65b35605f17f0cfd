"""The budgets read model: budgets, their crossings, alert rules; progress and forecasts."""
