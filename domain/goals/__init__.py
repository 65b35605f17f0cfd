"""Savings, debt, net worth and investment goals."""
