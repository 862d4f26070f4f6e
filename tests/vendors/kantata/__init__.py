"""Kantata OX translation and reading, as pure functions."""
