"""`python -m stripe_sandbox`: run the offline Stripe stand-in."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from pathlib import Path

from stripe_sandbox.records import SandboxConfig
from stripe_sandbox.server import SandboxHTTPServer
from stripe_sandbox.state import SandboxState


def _webhook(value: str) -> tuple[str, str]:
    url, sep, secret = value.rpartition("=")
    if not sep or not url.startswith(("http://", "https://")) or not secret.startswith("whsec_"):
        raise argparse.ArgumentTypeError("expected URL=whsec_SECRET")
    return url, secret


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m stripe_sandbox", description="Offline Stripe Connect stand-in."
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (loopback default)")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--state-file", type=Path, help="keep accounts in this JSON file")
    parser.add_argument(
        "--link-lifetime", type=int, default=300, help="seconds a v1 account link lives"
    )
    parser.add_argument(
        "--webhook",
        type=_webhook,
        action="append",
        default=[],
        metavar="URL=whsec_SECRET",
        help="send events to URL signed with SECRET (repeatable)",
    )
    parser.add_argument(
        "--public-url", help="base URL browsers use for hosted pages (default: request host)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Start the sandbox and serve until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = SandboxConfig(
        link_lifetime=args.link_lifetime,
        public_url=args.public_url.rstrip("/") if args.public_url else None,
        state_file=args.state_file,
    )
    state = SandboxState(config)
    for url, secret in args.webhook:
        state.webhooks.add_endpoint(url, secret, static=True)
    server = SandboxHTTPServer(state, args.host, args.port, quiet=not args.verbose)
    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    if not loopback:
        print(f"warning: listening on {args.host}, not loopback", file=sys.stderr)
    print(f"stripe_sandbox listening on {server.url} (test keys only)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
