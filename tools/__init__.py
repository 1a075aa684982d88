"""The template's own tooling: used by its tests, benchmarks and make demo, not generated."""
