"""Kitchen.co: translation (pure) and the HTTP client."""
