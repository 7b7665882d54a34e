"""Benchmarks and synthetic data generators (``./run bench NAME``)."""
