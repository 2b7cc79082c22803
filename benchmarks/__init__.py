"""Benchmarks run as scripts: `python benchmarks/<name>.py` (see each module)."""
