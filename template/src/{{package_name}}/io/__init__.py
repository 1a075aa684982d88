"""Side effects: the warehouse, the files that jobs write and read, tracking and the registry."""
