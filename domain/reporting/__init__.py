"""Reports: a period's figures recorded as generated, and the schedules that send them."""
