"""The ``bash`` tool on the host: a persistent shell emulated over one-shot guest commands.

Each call runs in a fresh bash that first restores the working folder and
exported variables saved by the previous call, and saves them again after.
So a command that hangs is killed by the guest's timeout without taking the
shell with it, and ``restart`` just forgets the saved state.
"""

from __future__ import annotations

import shlex
import uuid

from harness.sandbox.guest import GuestClient
from harness.tools.result import ToolError, ToolResult

STATE_ROOT = "/tmp/.deskbench-bash"
#: Bytes of stdout and of stderr the guest keeps per call; the rest is read and dropped inside the desktop.
#: A command that prints without end (``yes``, ``cat /dev/urandom``) would otherwise fill the guest's
#: memory within seconds and take the episode down with it.
OUTPUT_LIMIT = 1 << 20
#: A longer script is written to a file and run from there: one argument of ``bash -c`` may not exceed
#: 128 kB (MAX_ARG_STRLEN), and a model that sends a long heredoc should get it run, not "Argument list
#: too long".
INLINE_SCRIPT_BYTES = 100_000


class BashSession:
    def __init__(self, guest: GuestClient, timeout: float = 120.0) -> None:
        self.guest = guest
        self.timeout = timeout
        self.state = f"{STATE_ROOT}/{uuid.uuid4().hex[:8]}"

    def restart(self) -> ToolResult:
        self.guest.run(f"rm -rf {shlex.quote(self.state)}")
        self.state = f"{STATE_ROOT}/{uuid.uuid4().hex[:8]}"
        return ToolResult(output="tool has been restarted.")

    def script(self, command: str) -> str:
        """The command wrapped to restore and save the shell's state and to bound what it prints.

        Each stream goes through ``head -c`` and then ``cat > /dev/null``: the command sees a reader
        until it ends (no SIGPIPE, same behaviour as unbounded), and the guest receives at most
        OUTPUT_LIMIT bytes of each.  ``head`` runs unbuffered (``stdbuf -o0``): buffered, it would hold
        the output back until its input closes, which a background job (``app &``) delays past the
        moment the guest answers.
        """
        s = shlex.quote(self.state)
        return (
            f"mkdir -p {s}; [ -f {s}/env ] && . {s}/env; cd \"$(cat {s}/cwd 2>/dev/null || echo $HOME)\";\n"
            f"trap 'export -p > {s}/env; pwd > {s}/cwd' EXIT\n"
            f"exec > >(stdbuf -o0 head -c {OUTPUT_LIMIT}; exec cat > /dev/null) "
            f"2> >(stdbuf -o0 head -c {OUTPUT_LIMIT} >&2; exec cat > /dev/null)\n"
            f"{command}\n"
        )

    def execute(self, command: str | None, restart: bool = False) -> ToolResult:
        if restart:
            return self.restart()
        if not command:
            raise ToolError("no command provided")
        if "\x00" in command:
            raise ToolError("the command contains a NUL character, which bash cannot run")
        script = self.script(command)
        argv = ["bash", "-c", script]
        if len(script.encode("utf-8", "surrogatepass")) > INLINE_SCRIPT_BYTES:
            path = f"{self.state}/command.sh"
            self.guest.write_file(path, script.encode("utf-8", "surrogatepass"))
            argv = ["bash", path]
        result = self.guest.run(argv, shell=False, timeout=self.timeout)
        if result.timed_out:
            return ToolResult(error=f"timed out: bash has not returned in {self.timeout:.0f} seconds and was "
                                    "stopped; the shell's state was kept")
        out = _bounded(result.stdout.rstrip("\n"), "stdout")
        err = _bounded(result.stderr.rstrip("\n"), "stderr")
        return ToolResult(output=out if not err else f"{out}\n{err}".strip("\n"))


def _bounded(text: str, stream: str) -> str:
    """The text with a note when the guest kept only the first OUTPUT_LIMIT bytes of the stream."""
    if len(text.encode("utf-8", "replace")) < OUTPUT_LIMIT - 1:
        return text
    return (f"{text}\n[the command printed more than {OUTPUT_LIMIT} bytes on {stream}; only the first "
            f"{OUTPUT_LIMIT} were kept: redirect long output to a file and read parts of it]")
