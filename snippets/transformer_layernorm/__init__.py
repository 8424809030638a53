"""Transformers — where the LayerNorm goes."""
