"""Diagnose your own model."""
