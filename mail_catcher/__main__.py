"""`python -m mail_catcher [--smtp-port 1025] [--http-port 1080]`: run the dev mail catcher."""

from __future__ import annotations

import argparse

from werkzeug.serving import make_server

from mail_catcher import MailCatcher
from mail_catcher.web import create_web_app


def main() -> None:
    """Serve SMTP and the web page on loopback until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m mail_catcher")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=1080)
    args = parser.parse_args()
    catcher = MailCatcher(port=args.smtp_port).start()
    web = make_server("127.0.0.1", args.http_port, create_web_app(catcher), threaded=True)
    print(  # noqa: T201 — a console program
        f"Mail catcher: SMTP on 127.0.0.1:{catcher.port}, "
        f"messages at http://127.0.0.1:{args.http_port}",
        flush=True,
    )
    try:
        web.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        catcher.stop()


if __name__ == "__main__":
    main()
