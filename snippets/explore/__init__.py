"""Explore — set depth, activation, initialisation, normalisation and skips, and see the measured gradients."""
