"""One module per pipeline step; each exposes a factory returning the step function."""
