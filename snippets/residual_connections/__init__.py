"""Residual connections."""
