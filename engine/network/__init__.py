"""The network lab's engine: datasets, MLPs, initialisers, training and its statistics."""
