"""Pages the project writes about itself, from plain values: data, model, API and monitoring."""
