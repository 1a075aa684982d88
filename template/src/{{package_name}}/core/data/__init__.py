"""Stage 1 logic: the data contracts (the team's), the SQL views' analysis, and data quality."""
