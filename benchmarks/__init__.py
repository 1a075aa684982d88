"""The template's benchmarks: measurements printed by `make bench`, never pass/fail tests."""
