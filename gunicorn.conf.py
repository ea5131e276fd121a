"""gunicorn settings for production: `gunicorn` from the project folder picks this file up.

Threaded workers (`gthread`): a Connect click waits on Stripe for a few hundred milliseconds,
and with synchronous workers those waits starve every other page (STRIPE_NOTES.md).
"""

import os

from app.config import DEFAULT_GUNICORN_THREADS, DEFAULT_WEB_CONCURRENCY

wsgi_app = "app:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
# The app reads the same variable: with several workers, memory:// rate limits are refused.
workers = int(os.environ.get("WEB_CONCURRENCY", DEFAULT_WEB_CONCURRENCY))
# The app reads the same variable: each worker's PostgreSQL pool holds one connection per thread
# (`app.config.size_pool`), plus SQLAlchemy's default overflow of 10. A request holds at most one
# connection, and none while it waits on Stripe, so no thread waits for the pool. PostgreSQL must
# allow workers × (threads + 10) connections: 2 × 26 = 52 with the defaults (its own default 100).
threads = int(os.environ.get("GUNICORN_THREADS", DEFAULT_GUNICORN_THREADS))
timeout = 30
graceful_timeout = 20
accesslog = "-"
# gunicorn answers these itself, before the app runs (so not in our JSON envelopes): a request
# line over `limit_request_line` bytes gets 400, more than `limit_request_fields` header fields
# or one over `limit_request_field_size` bytes gets 431. Bodies over MAX_CONTENT_LENGTH (1 MiB;
# webhooks MAX_WEBHOOK_BYTES) reach the app, which answers 413 in the caller's shape.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
