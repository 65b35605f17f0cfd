"""The vault watch: the dead man's switch's reminders, triggers and release mails."""
