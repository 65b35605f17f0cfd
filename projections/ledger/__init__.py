"""The ledger read model: accounts with daily balances and valuations, categories, exchange
rates and import reports."""
