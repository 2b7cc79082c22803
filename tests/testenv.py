"""Loaded with -p before pytest-django reads settings: put the suite in test mode."""

import os

os.environ["FUWUSHE_TESTING"] = "1"
os.environ.setdefault("FUWUSHE_ENV", "development")
