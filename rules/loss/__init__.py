"""Loss rules (L): losses, their weights and the outputs they read."""
