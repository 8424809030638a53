"""Chapter: Gradient clipping and weight regularisation."""
