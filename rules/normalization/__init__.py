"""Normalization rules (N): where normalization is missing or undone."""
