"""Chapter: Layer-wise pretraining and fine-tuning."""
