"""An offline, stateful stand-in for the parts of Stripe Connect this project uses.

Dev and test only: production code never imports this package. Start it with
`python -m stripe_sandbox`, point `stripe.StripeClient(base_addresses=...)` at it, and drive
its state from tests through `/_sandbox/...` (see `stripe_sandbox/README.md`).
"""

from stripe_sandbox.app import create_sandbox_app
from stripe_sandbox.ids import platform_account_id
from stripe_sandbox.records import SandboxConfig
from stripe_sandbox.state import SandboxState

__all__ = ["SandboxConfig", "SandboxState", "create_sandbox_app", "platform_account_id"]
