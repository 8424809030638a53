"""Layer-wise pretraining and fine-tuning."""
