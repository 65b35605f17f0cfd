"""The dashboard read model: per workspace and month, income, expenses, categories, balances."""
