"""Taste rules (T): conventions some teams hold; opt-in, off unless selected."""
