"""ReLU family and matched initialisation."""
