"""Benchmarks of the advisor against its local simulator: `python -m benchmarks.run --help`."""
