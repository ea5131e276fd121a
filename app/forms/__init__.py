"""Flask-WTF forms, one module per blueprint (`auth`, `payments`, `connections`, `settings`).

Every form carries a CSRF token; validation messages are for people. Rules shared with the JSON
APIs live in services; the forms only carry inputs and the messages a view puts on them.
"""
