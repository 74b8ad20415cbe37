"""The lint rules, one folder per family (the letter of their codes, see `engine.FAMILIES`) and
one module per rule; installed as `inspector.rules`."""
