"""Pure plotting functions (matplotlib): data in, figure out, one module a topic."""
