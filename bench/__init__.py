"""Benchmarks of the quality bars in ../shared/SPEC.md; each runs as `python -m bench.<name>`."""
