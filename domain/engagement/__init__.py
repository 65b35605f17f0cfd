"""What reaches people: notifications and their inboxes."""
