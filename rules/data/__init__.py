"""Data rules (D): faults that show only against a sample of the user's data; pure functions of the graph, the data's description and the probe's measurements."""
