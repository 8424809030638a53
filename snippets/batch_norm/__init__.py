"""Chapter: Batch normalisation."""
