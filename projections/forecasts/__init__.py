"""The spending forecasts made, and how accurate each turned out."""
