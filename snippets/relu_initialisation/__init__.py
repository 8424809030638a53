"""Chapter: ReLU family and matched initialisation."""
