"""Stage 2 logic: the model's pipeline (the team's), training and its metrics, and promotion."""
