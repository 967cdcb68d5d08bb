"""Benchmarks: `make bench` runs bench.pages."""
