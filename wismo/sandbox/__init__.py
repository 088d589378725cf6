"""The local Shopify/EasyPost look-alike and its seed data (see docs/sandbox.md).

    from wismo.sandbox import start_sandbox
    sandbox = start_sandbox()          # port 0: a free port
    sandbox.url, sandbox.shopify_token, sandbox.easypost_key
    sandbox.stop()
"""

from wismo.sandbox.seed import Seed, build_seed
from wismo.sandbox.server import SandboxServer, start_sandbox

__all__ = ["SandboxServer", "Seed", "build_seed", "start_sandbox"]
