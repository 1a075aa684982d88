"""One module per step of the stages: build the data, check it, document it."""
