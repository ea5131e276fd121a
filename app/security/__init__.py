"""Security building blocks: passwords, permissions, safe redirects, crypto, tokens."""
