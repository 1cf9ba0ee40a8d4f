"""The surface lab's engine: 2D loss surfaces, the batched optimizer loop, runs and sweeps."""
