"""Benchmarks of the quality bars listed with their last figures in README.md, "Measured"; each
runs as `python -m bench.<name>` and prints JSON."""
