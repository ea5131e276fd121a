"""gunicorn settings for production: `gunicorn` from the project folder picks this file up.

Threaded workers (`gthread`): a Connect click waits on Stripe for a few hundred milliseconds,
and with synchronous workers those waits starve every other page (STRIPE_NOTES.md).
"""

import os

wsgi_app = "app:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 30
graceful_timeout = 20
accesslog = "-"
