"""Importing hand-kept Excel and CSV ledgers."""
