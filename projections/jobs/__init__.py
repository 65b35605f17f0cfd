"""Admin jobs: the kinds an operator can queue, and the worker that runs them from infra.jobs."""
