"""Chapter: Residual connections."""
