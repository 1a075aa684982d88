"""Stage 3 logic: scoring with the fitted pipeline, the API's request schema, and batch chunks."""
