"""Benchmarks of tutorbot: `python -m bench [--quick] [--only NAME]` (see bench/RESULTS.md)."""
