"""Stage 4 logic: drift from the reference, performance against labels and by segment, reports."""
