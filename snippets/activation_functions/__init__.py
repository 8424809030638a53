"""Activation functions — how much of the gradient each unit lets through."""
