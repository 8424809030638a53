"""Chapter: Orthogonal initialisation and dynamical isometry."""
