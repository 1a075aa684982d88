"""Stage 4 logic: drift from the reference, performance and bias by segment, and the report."""
