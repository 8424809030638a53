"""Chapter: Diagnose your own model."""
