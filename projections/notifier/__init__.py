"""The notifier: mails people what alert rules tell by email, at once or in digests."""
