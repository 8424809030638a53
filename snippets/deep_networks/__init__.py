"""Deep networks — the chain rule multiplies."""
