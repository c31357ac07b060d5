"""A local, offline stand-in for the Messages API, for dry runs and tests of model agents."""

from harness.mockapi.faults import Faults
from harness.mockapi.script import Script, load_scripts, script_from_task
from harness.mockapi.server import MockCall, MockServer
from harness.mockapi.validate import ApiError

__all__ = ["ApiError", "Faults", "MockCall", "MockServer", "Script", "load_scripts", "script_from_task"]
