"""Graph rules (G): parts of the model that nothing uses or reaches."""
