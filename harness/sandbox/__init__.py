"""Containers: the engine connection, image building, one desktop per episode, and the guest client.

Names are imported on first use: the guest client and the tools need no Docker SDK, and importing the container
module (which loads it) for them would cost every agent and tool import about 50 ms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.sandbox.container import Sandbox, SandboxLimits, start_sandbox
    from harness.sandbox.guest import CommandResult, GuestClient, Window

_EXPORTS = {
    "Sandbox": "harness.sandbox.container", "SandboxLimits": "harness.sandbox.container",
    "start_sandbox": "harness.sandbox.container",
    "CommandResult": "harness.sandbox.guest", "GuestClient": "harness.sandbox.guest", "Window": "harness.sandbox.guest",
}
__all__ = ["CommandResult", "GuestClient", "Sandbox", "SandboxLimits", "Window", "start_sandbox"]

__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
