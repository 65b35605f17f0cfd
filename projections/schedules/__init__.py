"""The schedules read model: schedules as they stand, their next dates and what was paid."""
