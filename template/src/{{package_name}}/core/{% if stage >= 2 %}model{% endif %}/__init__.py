"""Stage 2 logic: the model's input, its pipeline (the team's), training, metrics, promotion."""
