"""Chapter: LSTM."""
