"""The ledger: accounts and the transactions recorded in them."""
