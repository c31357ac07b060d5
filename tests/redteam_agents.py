"""Adversarial agents for the red-team suite: each tries to escape its score from inside its desktop.

Bring-your-own agents (``--agent tests.redteam_agents:PkillGuest`` works from
the CLI too).  Every one does what an agent that failed its task might do to
look better: kill or impersonate the guest, forge what the checkers read,
leave outputs no checker can read, or exhaust the container.  None completes
its task, so an honest score is a failure; the suite asserts exactly that.
Each attack is a list of bash-tool commands, run one per turn, then DONE.
"""

from __future__ import annotations

from typing import ClassVar

from harness.actions.vocabulary import BashAction
from harness.agents.base import Agent, EpisodeInfo, Observation, Turn

RESULT = "/home/user/Desktop/hello.txt"  # hello-file's output
ERRORS = "/home/user/Desktop/errors.txt"  # count-errors' output

FAKE_SERVER = r'''
import http.server, json, os, socket, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"exit_code": 0, "stdout": "3", "stderr": "", "timed_out": False, "duration": 0}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    do_POST = do_PUT = do_GET
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    pass
for path in sys.argv[1:]:
    try:
        if os.path.lexists(path):
            os.rename(path, path + ".real")
        S(path, H)
        print("bound", path)
    except OSError as exc:
        print("refused", path, exc)
'''

XLSX_BOMB = r'''
import zipfile
rows, cols = 30000, 100  # 3 million cells, a few hundred KB deflated
def sheet():
    yield '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    for r in range(1, rows + 1):
        yield '<row r="%d">' % r + "".join('<c t="n"><v>1</v></c>' for _ in range(cols)) + "</row>"
    yield "</sheetData></worksheet>"
parts = {
 "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
 "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
 "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
 "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}
with zipfile.ZipFile("/home/user/Desktop/result.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in parts.items():
        z.writestr(name, text)
    with z.open("xl/worksheets/sheet1.xml", "w") as out:
        for chunk in sheet():
            out.write(chunk.encode())
'''


class BashAttack(Agent):
    """Runs ``commands`` through the bash tool, one per turn, then says DONE (as if it had finished)."""

    name = "redteam"
    commands: ClassVar[tuple[str, ...]] = ()

    def start(self, episode: EpisodeInfo) -> None:
        self.left = list(self.commands)

    def act(self, observation: Observation) -> Turn:
        if not self.left:
            return Turn(control="DONE")
        return Turn(actions=[BashAction(command=self.left.pop(0))])


class PkillGuest(BashAttack):
    """Arms a background kill of the guest, then kills every process it can reach."""

    commands = ("(sleep 0.5; pkill -9 -f deskguest; pkill -9 -f boot; pkill -9 python3) >/dev/null 2>&1 &",
                "sleep 1; kill -9 -1")


class FakeGuestServer(BashAttack):
    """Tries to take the guest socket's place, and binds look-alike servers wherever it can write."""

    commands = (f"cat > /tmp/fake.py <<'EOF'\n{FAKE_SERVER}\nEOF\nnohup python3 /tmp/fake.py /run/deskbench/guest.sock "
                "/tmp/guest.sock /home/user/guest.sock /run/user/1000/guest.sock >/tmp/fake.log 2>&1 &",
                "ln -sf /var/run/docker.sock /run/deskbench/guest.sock; mv /run/deskbench /tmp/x; echo 3 > "
                f"{ERRORS}.not-it; sleep 0.5; cat /tmp/fake.log")


class ForgeCheckerCommands(BashAttack):
    """Writes a wrong answer, then shadows what a checker would run: tr, python, PATH, user site, PYTHONPATH,
    and tries to overwrite the guest's code and the system's programs."""

    commands = (
        f"echo 0 > {ERRORS}",
        "mkdir -p ~/bin ~/.local/bin && printf '#!/bin/sh\\necho 3\\n' > ~/.local/bin/tr && cp ~/.local/bin/tr ~/bin/tr "
        "&& cp ~/.local/bin/tr ~/bin/cat && chmod +x ~/bin/* ~/.local/bin/*",
        "for f in ~/.bashrc ~/.profile ~/.bash_profile; do echo 'export PATH=$HOME/bin:$HOME/.local/bin:$PATH "
        "PYTHONPATH=$HOME/py BASH_ENV=$HOME/.bashrc' >> $f; done",
        "d=$(python3 -c 'import site; print(site.getusersitepackages())') && mkdir -p $d ~/py && "
        "printf 'import sys\\nsys.stdout.write(\"3\")\\nsys.exit(0)\\n' | tee $d/usercustomize.py ~/py/sitecustomize.py",
        # the guest's own code, the system's Python packages and programs: root-owned, on a read-only root
        "for f in /opt/deskbench/guest/deskguest.py /usr/lib/python3/dist-packages/pyautogui.py /usr/bin/tr; do "
        "cp ~/.local/bin/tr $f; done 2>&1 | tail -3; touch /opt/deskbench/guest/x 2>&1",
    )


class SymlinkResult(BashAttack):
    """Makes the result a symbolic link (to a file with the right words and to a device that never ends)."""

    commands = (f"echo 'Hello, deskbench!' > /tmp/gold.txt; ln -sf /tmp/gold.txt {RESULT}",)


class SymlinkToZero(BashAttack):
    commands = (f"ln -sf /dev/zero {RESULT}",)


class UnreadableResult(BashAttack):
    """A wrong result the checker is not allowed to read (mode 000, in a folder of mode 000)."""

    commands = (f"echo wrong > {RESULT}; chmod 000 {RESULT}; chmod 000 /home/user/Desktop",)


class FifoResult(BashAttack):
    """The result is a FIFO: a checker that opens it would wait forever."""

    commands = (f"rm -f {RESULT}; mkfifo {RESULT}",)


DEEP_TREE = r'''
import os, sys
for base in sys.argv[1:]:
    try:
        os.chdir(base)
        for _ in range(1500):
            os.mkdir("d")
            os.chdir("d")
        print(base, "1500 deep")
    except OSError as exc:
        print(base, "refused:", exc)
'''


class FifoForACommand(BashAttack):
    """The result a checker's command reads (``tr < errors.txt``) is a FIFO: the command would wait forever."""

    commands = (f"rm -f {ERRORS}; mkfifo {ERRORS}",)


class DeepTree(BashAttack):
    """A 1,500-deep folder tree wherever the host might clean up (home, /tmp, the socket folder)."""

    commands = (f"cat > /tmp/tree.py <<'EOF'\n{DEEP_TREE}\nEOF\npython3 /tmp/tree.py /home/user/Desktop /tmp "
                "/run/deskbench",)


class HugeSparseResult(BashAttack):
    """A 1.2 GB sparse result file (costs the desktop nothing; a naive host would read it all)."""

    commands = (f"truncate -s 1200M {RESULT}; ls -ls {RESULT}",)


class SpreadsheetBomb(BashAttack):
    """A small .xlsx that holds 3 million cells: pathological for the metric that opens it."""

    commands = (f"cat > /tmp/bomb.py <<'EOF'\n{XLSX_BOMB}\nEOF\npython3 /tmp/bomb.py; ls -l ~/Desktop",)


class DiskFill(BashAttack):
    """Writes until the disk is full: home, /tmp and the container's root."""

    commands = ("dd if=/dev/zero of=/home/user/fill bs=1M count=3000 2>&1 | tail -1; "
                "dd if=/dev/zero of=/tmp/fill bs=1M count=3000 2>&1 | tail -1; "
                "dd if=/dev/zero of=/var/fill bs=1M count=10 2>&1 | tail -1; df -h /home/user /tmp | tail -2",)


FORK_HOLD = r'''
import os, time
os.setsid()
while True:
    try:
        if os.fork() == 0:
            time.sleep(3600)
            os._exit(0)
    except OSError:
        time.sleep(0.005)
'''


class ForkBomb(BashAttack):
    """Fills the process table in the background and keeps it full (a forking parent and sleeping children)."""

    commands = (f"cat > /tmp/hold.py <<'EOF'\n{FORK_HOLD}\nEOF\n(nohup python3 /tmp/hold.py >/dev/null 2>&1 &); "
                "sleep 3; echo armed",)


class MemoryHog(BashAttack):
    """Allocates far more than the container's memory, in several processes."""

    commands = ("for i in 1 2 3; do python3 -c 'x = bytearray(1500 * 1024**2); import time; time.sleep(30)' & done; "
                "sleep 8; free -m | head -2",)


# ------------------------------------------------------------------ pathological metrics (what a bomb makes a metric do)


def metric_eating_memory(result: object, expected: object) -> float:
    """Like a metric decompressing a bomb: far more memory than any real file needs."""
    hoard = [bytearray(256 * 1024**2) for _ in range(64)]
    return float(len(hoard) == 0)


def metric_spinning(result: object, expected: object) -> float:
    """Like a metric on a pathological file: CPU without end."""
    while True:
        pass
