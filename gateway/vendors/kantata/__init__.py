"""Kantata OX: translation (pure) and the HTTP client."""
