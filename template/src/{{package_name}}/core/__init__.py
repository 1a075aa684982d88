"""Pure logic, one folder per stage: no warehouse, no registry, no web framework, no settings."""
