"""Kitchen.co translation and reading, as pure functions."""
