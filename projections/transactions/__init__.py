"""The transactions read model: a searchable list of every workspace's transactions."""
