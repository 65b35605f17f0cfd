"""Reports: their figures (from the insights' functions), charts, PDF, generation and read model."""
