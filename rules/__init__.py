"""The lint rules, one module per rule; installed as `inspector.rules`."""
