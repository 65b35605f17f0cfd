"""The engagement watch: points and badges, awarded once from what members do."""
