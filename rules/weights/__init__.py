"""Weights rules (W): initializers, constraints and sharing of weights."""
