"""Notifications: each member's, from alerts, goals, invitations and big or unusual spending."""
