"""/web/v1 (seed 004): a workspace's Stripe connections, for JWTs, in the seed's envelope."""
