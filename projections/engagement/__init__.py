"""The engagement read model: challenges, buckets, reflections, personas, summaries, coach."""
