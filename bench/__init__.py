"""Benchmarks: ``make bench``. Each prints percentiles and a ratio against a baseline
measured in the same run; nothing here asserts on time."""
