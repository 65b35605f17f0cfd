"""The budget watch: records budgets' and alert rules' crossings as spending moves."""
