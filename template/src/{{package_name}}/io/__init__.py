"""Side effects: the warehouse and the files the jobs read and write."""
