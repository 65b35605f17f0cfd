"""The schedule watch: posts auto_post schedules' due dates to the ledger, once each."""
