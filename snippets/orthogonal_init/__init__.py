"""Orthogonal initialisation and dynamical isometry."""
