"""Benchmarks of the quality bars the README lists; each runs as `python -m bench.<name>` and
prints JSON."""
