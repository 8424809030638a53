"""Chapter: Transformers — where the LayerNorm goes."""
