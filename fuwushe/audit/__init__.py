"""Audit history of every write, and the log of who saw whose sensitive data."""
