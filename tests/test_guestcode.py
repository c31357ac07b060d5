"""Programs that run inside the desktop are real modules: what they may import, that importing them does
nothing, that no program is left embedded as a string on the host side, and that the text the host sends
runs as ``python3 -c`` does in the container (here against loopback servers speaking the real protocols).
"""

from __future__ import annotations

import ast
import base64
import http.server
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import harness
from harness import guestcode

ROOT = Path(harness.__file__).parent
FOLDER = ROOT / "guestcode"
#: what the images have besides the standard library (python3-websocket, python3-gi, Pillow, python3-xlib)
IMAGE_PACKAGES = {"websocket", "gi", "PIL", "Xlib"}
#: strings that are programs on purpose: the host runs this one itself, in a child process (never in a container)
HOST_PROGRAMS = {("harness/checkers/metrics/code.py", "_RUNNER")}


def programs() -> list[str]:
    return sorted(p.stem for p in FOLDER.glob("*.py") if p.name != "__init__.py")


def test_every_module_of_the_package_is_a_listed_program_and_the_reverse() -> None:
    assert programs() == sorted(guestcode.PROGRAMS)
    with pytest.raises(ValueError, match="no guest program 'nope'"):
        guestcode.source("nope")


@pytest.mark.parametrize("name", guestcode.PROGRAMS)
def test_a_program_imports_only_what_the_images_have_and_runs_only_as_main(name: str) -> None:
    tree = ast.parse(guestcode.source(name))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    unknown = imported - set(sys.stdlib_module_names) - IMAGE_PACKAGES
    assert not unknown, f"{name} imports {sorted(unknown)}, which the images do not have"
    last = tree.body[-1]
    assert isinstance(last, ast.If) and ast.unparse(last.test) == "__name__ == '__main__'", \
        f"{name}: its work must sit under `if __name__ == '__main__':` (what python3 -c runs)"
    side_effects = [n for n in tree.body[:-1] if not isinstance(
        n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
            ast.AnnAssign)) and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
        and not (isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")]
    assert not side_effects, f"{name} does work at import: line {side_effects[0].lineno}"


def embedded_programs() -> list[tuple[str, str]]:
    """Module-level string constants of harness (outside guestcode) that are Python programs with imports."""
    found = []
    for path in ROOT.rglob("*.py"):
        if FOLDER in path.parents:
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str) and node.value.value.count("\n") >= 3):
                continue
            try:
                code = ast.parse(node.value.value)
            except SyntaxError:
                continue
            if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(code)):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                found.append((str(path.relative_to(ROOT.parent)), names[0] if names else "?"))
    return found


def test_no_program_is_left_embedded_as_a_string() -> None:
    assert set(embedded_programs()) <= HOST_PROGRAMS


def run_program(name: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The program as the guest runs it: its text through ``python3 -c``, isolated from this checkout."""
    return subprocess.run([sys.executable, "-I", "-c", guestcode.source(name), *args], input=stdin,
                          capture_output=True, text=True, timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Status(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802  (the standard library's name)
        wanted = "Basic " + base64.b64encode(b":s3cret").decode()  # VLC's web interface: a password, no user
        if self.path != "/requests/status.xml" or self.headers.get("Authorization") != wanted:
            self.send_response(401)
            self.end_headers()
            return
        body = b"<root><state>playing</state>" + b"x" * 100 + b"</root>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def vlc_web() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_vlc_status_copies_the_answer_capped_and_tells_refused_from_unauthorised(vlc_web: int) -> None:
    done = run_program("vlc_status", str(vlc_web), "s3cret", "1000")
    assert done.returncode == 0 and done.stdout.startswith("<root><state>playing</state>")
    capped = run_program("vlc_status", str(vlc_web), "s3cret", "10")
    assert len(capped.stdout) == 11, "cap + 1 bytes, so the host can tell an over-long answer"
    wrong = run_program("vlc_status", str(vlc_web), "wrong", "1000")
    assert (wrong.returncode, wrong.stderr) == (2, "HTTP 401")
    assert run_program("vlc_status", str(free_port()), "s3cret", "1000").returncode == 3


def test_devtools_client_says_not_running_when_nothing_listens() -> None:
    request = {"op": "tabs", "port": free_port(), "timeout": 2, "names": []}
    answer = json.loads(run_program("devtools_client", stdin=json.dumps(request)).stdout)
    assert answer["not_running"] is True and "nothing answers on DevTools port" in answer["error"]
    unknown = json.loads(run_program("devtools_client", stdin=json.dumps({**request, "op": "fly"})).stdout)
    assert unknown == {"error": "RuntimeError: unknown op 'fly'", "not_running": False}
