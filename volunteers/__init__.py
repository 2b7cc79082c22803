"""Volunteers, teams, mutual-aid groups and service hours."""
