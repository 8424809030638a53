"""Training instabilities: loss spikes at high learning rates"""
