"""Gradient clipping and weight regularisation."""
