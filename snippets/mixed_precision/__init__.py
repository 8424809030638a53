"""Numbers that are too small to store — mixed precision."""
