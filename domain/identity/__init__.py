"""Identity: people who sign up, and their sessions."""
