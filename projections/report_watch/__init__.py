"""The report_watch process: schedules' reports, made and mailed once per period."""
