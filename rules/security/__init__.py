"""Security rules (S): what a file carries that another tool would run, as the loaders recorded it."""
