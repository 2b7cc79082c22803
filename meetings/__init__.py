"""Meetings, deliberation items and club funds."""
