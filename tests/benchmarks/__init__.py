"""Benchmarks (issue 5). Not collected by pytest: no file here is named `test_*.py`."""
