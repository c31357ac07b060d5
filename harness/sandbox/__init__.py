"""Containers: the engine connection, image building, one desktop per episode, and the guest client."""

from harness.sandbox.container import Sandbox, SandboxLimits, start_sandbox
from harness.sandbox.guest import CommandResult, GuestClient, Window

__all__ = ["CommandResult", "GuestClient", "Sandbox", "SandboxLimits", "Window", "start_sandbox"]
