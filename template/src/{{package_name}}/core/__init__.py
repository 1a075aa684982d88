"""Pure logic: data contracts, SQL analysis, data quality and data documentation."""
