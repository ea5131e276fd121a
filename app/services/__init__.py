"""Business rules. Services never read `flask.request`; they own their transactions."""
