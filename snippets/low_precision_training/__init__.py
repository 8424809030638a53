"""Low precision: updates rounded away"""
