"""Width and depth: scaling a network that starts level"""
