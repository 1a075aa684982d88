"""One module per step of the stages: data, tracking, serving, monitoring (see `cli.py`'s table)."""
