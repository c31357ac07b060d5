"""The osworld image: routing of OSWorld's app tasks to it, its apps starting and writing their own config files
where OSWorld's getters read them, sudo only where a task opts in, and OSWorld's screen size."""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.errors import ConfigError
from harness.sandbox.container import Sandbox, start_sandbox
from harness.tasks.compat import assess_all
from harness.tasks.images import image_for_task, runs_privileged
from harness.tasks.loader import load_tasks, task_from_dict
from harness.tasks.screen import DESKBENCH_SCREEN, OSWORLD_SCREEN, parse_screen, suite_screen

REPO = Path(__file__).resolve().parents[1]
OSWORLD = REPO.parent / "shared" / "osworld"
LABELS = {"deskbench.run": f"pytest-osworld-image-{os.getpid()}"}


def _task(domain: str, apps: list[str] | None = None, config: list[dict[str, Any]] | None = None,
          **extra: Any) -> Any:
    data = {"id": f"t-{domain}", "instruction": "x", "config": config or [], "related_apps": apps or [],
            "evaluator": {"func": "infeasible"}, **extra}
    return task_from_dict(data, REPO / "x.json", domain)


def _launch(*command: str) -> dict[str, Any]:
    return {"type": "launch", "parameters": {"command": list(command)}}


@pytest.mark.parametrize(("domain", "apps", "config", "image"), [
    ("gimp", ["gimp"], [], "osworld"),
    ("vs_code", ["vscode"], [], "osworld"),
    ("vlc", [], [], "osworld"),
    ("thunderbird", ["thunderbird"], [], "osworld"),
    ("multi_apps", ["os"], [_launch("nautilus", "/home/user/Music")], "osworld"),  # named only by its launch step
    ("multi_apps", ["chrome", "os"], [], "office"),
    ("chrome", ["chrome"], [], "office"),
    ("os", ["os"], [], "desktop"),
    ("files", ["files"], [], "desktop"),  # deskbench's own file-manager domain stays on the light image
])
def test_tasks_run_on_the_lightest_image_with_their_apps(domain: str, apps: list[str], config: list[dict[str, Any]],
                                                         image: str) -> None:
    assert image_for_task(_task(domain, apps, config)) == image


def test_sudo_is_opted_into_by_the_task_and_routes_to_the_image_that_has_it() -> None:
    sudo = [{"type": "execute", "parameters": {"command": "echo password | sudo -S mkdir /x", "shell": True}}]
    calls_sudo = _task("os", ["os"], sudo)
    assert runs_privileged(calls_sudo) and image_for_task(calls_sudo) == "osworld"
    assert not runs_privileged(_task("os", ["os"]))
    assert runs_privileged(_task("os", ["os"], privileged_user=True))
    refused = _task("os", ["os"], sudo, privileged_user=False)
    assert not runs_privileged(refused)
    with pytest.raises(Exception, match="privileged_user"):
        _task("os", privileged_user="sometimes")


def test_the_screen_is_osworlds_for_an_osworld_index_and_deskbenchs_otherwise(tmp_path: Path) -> None:
    index = tmp_path / "test_all.json"
    index.write_text(json.dumps({"os": ["a"]}))
    assert suite_screen(index) == OSWORLD_SCREEN == (1920, 1080)
    assert suite_screen(REPO / "tasks" / "smoke") == DESKBENCH_SCREEN == (1280, 800)
    assert suite_screen("hf:someone/tasks") == DESKBENCH_SCREEN
    assert parse_screen("1024x768") == (1024, 768)
    for bad in ("1920", "1920x", "axb", "10x10", "100000x1080"):
        with pytest.raises(ConfigError, match="--screen"):
            parse_screen(bad)


@pytest.mark.skipif(not OSWORLD.is_dir(), reason="shared/osworld is beside the project")
def test_no_osworld_task_lacks_a_program_but_gnome_shell() -> None:
    """Before the osworld image: 114 of 369 tasks launched a program no image had (code, thunderbird, gimp, vlc,
    nautilus, sudo); now only the one that drives GNOME Shell does."""
    report = assess_all(load_tasks(OSWORLD / "test_all.json"))
    missing = sorted({u for c in report for u in c.unsupported if u.startswith("program:")})
    assert missing == ["program:gnome-shell"]


# ---------------------------------------------------------------- in containers of the osworld image


@pytest.fixture
def mine_removed() -> Iterator[None]:
    """Fail the test if a container of this module's run is left (other runs' containers are not its business)."""
    from harness.sandbox.engine import list_containers

    yield
    left = [str(c.name) for c in list_containers({"label": [f"deskbench.run={LABELS['deskbench.run']}"]})]
    assert not left, f"containers left behind: {left}"


@pytest.fixture
def box(osworld_image: str, mine_removed: None) -> Iterator[Sandbox]:
    with start_sandbox("osworld", labels=dict(LABELS)) as sandbox:
        yield sandbox


def _until(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll ``check`` (every 0.2 s, bounded) until it returns something true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def _window(sandbox: Sandbox, words: str) -> Any:
    return _until(f"a window titled ...{words}...",
                  lambda: next((w for w in sandbox.guest.windows() if words in w.title), None))


VLCRC = "/home/user/.config/vlc/vlcrc"


def _vlcrc(box: Sandbox) -> str:
    return box.guest.run(["cat", VLCRC]).stdout


def _rewritten(box: Sandbox, before: str) -> str:
    """vlcrc's text once VLC has saved it (different from ``before`` and with the option), else ''."""
    text = _vlcrc(box)
    return text if text != before and "one-instance-when-started-from-file=" in text else ""


def _poll(check: Callable[[], Any], timeout: float) -> Any:
    """``check()``'s first true value within ``timeout`` seconds, or its last value."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(0.2)
        value = check()
    return value


def _untick_one_instance_and_save(box: Sandbox, attempts: int = 3) -> str:
    """Tools > Preferences (Ctrl+P), untick "Use only one instance when started from file manager", Save.

    Qt lays the dialog out (and the window manager may move it) after the window maps, and no event says when, so a
    click can land before the checkbox or the button is where it will be. A missed click leaves the box ticked or the
    file unsaved, so trying again is safe: each attempt reads the window's position afresh, waits for VLC to rewrite
    vlcrc, and closes the dialog if it is still open."""
    vlcrc = ""
    for _ in range(attempts):
        box.guest.activate_window(_window(box, "VLC media player").id)
        box.guest.input({"op": "key", "keys": "ctrl+p"})
        _window(box, "Simple Preferences")
        time.sleep(1.0)
        prefs = _window(box, "Simple Preferences")
        before = _vlcrc(box)
        box.guest.input({"op": "click", "x": prefs.x + 40, "y": prefs.y + 517})
        box.guest.input({"op": "click", "x": prefs.x + 664, "y": prefs.y + 678})
        vlcrc = _poll(functools.partial(_rewritten, box, before), 20) or before
        if "\none-instance-when-started-from-file=0" in vlcrc:
            return vlcrc
        still_open = [w for w in box.guest.windows() if "Simple Preferences" in w.title]
        if still_open:
            box.guest.activate_window(still_open[0].id)
            box.guest.input({"op": "key", "keys": "Escape"})
        _until("the preferences dialog closed",
               lambda: not any("Simple Preferences" in w.title for w in box.guest.windows()), 10)
    return vlcrc


# GET status.xml the way OSWorld's getter does (basic authentication, empty user name); curl is not in the image.
STATUS = """import base64, sys, urllib.request
request = urllib.request.Request("http://127.0.0.1:8080/requests/status.xml")
request.add_header("Authorization", "Basic " + base64.b64encode(b":" + sys.argv[1].encode()).decode())
print(urllib.request.urlopen(request, timeout=5).read().decode())
"""


@pytest.mark.docker
def test_vlc_answers_on_its_http_interface_and_writes_vlcrc(box: Sandbox) -> None:
    """OSWorld's vlc_playing_info reads status.xml on 8080 with the password "password"; vlc_config reads vlcrc."""
    box.guest.spawn(["vlc"])
    _window(box, "VLC")
    status = _until("VLC's status.xml", lambda: box.guest.run(["python3", "-c", STATUS, "password"]).stdout)
    assert "<state>stopped</state>" in status
    denied = box.guest.run(["python3", "-c", STATUS, "wrong"])
    assert "HTTP Error 401" in denied.stderr
    vlcrc = _untick_one_instance_and_save(box)
    assert "\none-instance-when-started-from-file=0" in vlcrc
    assert "\nhttp-password=password" in vlcrc and "\nextraintf=http" in vlcrc  # the web interface stays on


@pytest.mark.docker
def test_nautilus_opens_the_folder_a_task_names(box: Sandbox) -> None:
    """OSWorld's multi-app tasks launch ``nautilus FOLDER`` and activate the window by the folder's name."""
    box.guest.run("mkdir -p '/home/user/Documents/Novels/Pass Through'")
    box.guest.spawn(["nautilus", "/home/user/Documents/Novels/Pass Through"])
    window = _window(box, "Pass Through")
    assert window.wm_class[1].lower() in ("org.gnome.nautilus", "nautilus"), window.wm_class


@pytest.mark.docker
def test_gimp_saves_a_preference_in_gimprc(box: Sandbox) -> None:
    """OSWorld's gimp_config_file getter reads ~/.config/GIMP/2.10/gimprc."""
    box.guest.spawn(["gimp"])
    _until("GIMP's window", lambda: any("GIMP" in w.title or "GNU Image" in w.title for w in box.guest.windows()),
           120)
    box.guest.run("pkill -x gimp-2.10; sleep 1", timeout=30)
    changed = box.guest.run("""gimp -i -b '(gimp-gimprc-set "default-threshold" "42")' -b '(gimp-quit 0)'""",
                            timeout=120)
    assert changed.exit_code == 0, changed.stderr[-500:]
    gimprc = box.guest.read_file("/home/user/.config/GIMP/2.10/gimprc").decode()
    assert '(default-threshold "42")' in gimprc or "(default-threshold 42)" in gimprc, gimprc[-400:]


@pytest.mark.docker
def test_thunderbird_writes_prefs_js(box: Sandbox) -> None:
    """A profile's user.js preference lands in prefs.js when Thunderbird itself writes its preferences."""
    profile = "/home/user/.thunderbird/pytest.default-release"
    made = box.guest.run(f"thunderbird --headless -CreateProfile 'pytest {profile}'", timeout=120)
    assert made.exit_code == 0, made.stderr[-500:]
    box.guest.write_file(f"{profile}/user.js", b'user_pref("mail.deskbench.pytest", 42);\n')
    box.guest.spawn(["thunderbird", "--profile", profile])
    window = _until("Thunderbird's window", lambda: next(
        (w for w in box.guest.windows() if "Thunderbird" in w.title or "thunderbird" in w.wm_class[1].lower()), None),
        120)
    box.guest.close_window(window.id)
    prefs = _until("prefs.js with the preference", lambda: b"mail.deskbench.pytest" in box.guest.read_file(
        f"{profile}/prefs.js") if box.guest.run(f"test -f {profile}/prefs.js").exit_code == 0 else False, 60)
    assert prefs


@pytest.mark.docker
def test_code_opens_a_window_and_keeps_settings_and_extensions_where_osworld_looks(box: Sandbox) -> None:
    """``code`` shows code-server in a window titled like VS Code; a settings.json change made in its editor is
    saved at ~/.config/Code/User; a VSIX installs into ~/.vscode/extensions and ``code --list-extensions``
    names it (OSWorld's is_extension_installed)."""
    settings = "/home/user/.config/Code/User/settings.json"
    box.guest.write_file(settings, b"{}\n")
    box.guest.spawn(["code", settings])
    window = _window(box, "settings.json - User - Visual Studio Code")
    assert window.wm_class[1] == "Code"
    # Typed as a person would; what the editor auto-closed after the cursor is replaced by the closing brace.
    # The editor takes keys only once its text model is attached, and no event says when: typing again (it
    # replaces everything) after a few seconds without a save is the bounded way to wait for it.
    typing = ({"op": "key", "keys": "ctrl+a"}, {"op": "type", "text": '{"editor.wordWrapColumn": 50'},
              {"op": "key", "keys": "Escape"}, {"op": "key", "keys": "shift+ctrl+End"},
              {"op": "type", "text": "}"}, {"op": "key", "keys": "ctrl+s"})
    saved = None
    for _ in range(5):
        box.guest.activate_window(window.id)
        box.guest.input(*typing)
        try:
            saved = _until("the setting in settings.json", lambda: _json(box.guest.read_file(settings)).get(
                "editor.wordWrapColumn"), 8)
            break
        except AssertionError:
            continue
    assert saved == 50
    vsix = _tiny_vsix()
    box.guest.write_file("/tmp/pytest-ext.vsix", vsix)
    installed = box.guest.run("code --install-extension /tmp/pytest-ext.vsix", timeout=120)
    assert installed.exit_code == 0, installed.stderr[-500:]
    listed = box.guest.run("code --list-extensions")
    assert "deskbench.pytest-ext" in listed.stdout.split()
    assert box.guest.run("ls /home/user/.vscode/extensions | grep -q deskbench.pytest-ext").exit_code == 0


def _json(data: bytes) -> dict[str, Any]:
    """The JSON object in ``data``; empty while the editor has not saved a whole one yet."""
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _tiny_vsix() -> bytes:
    """A minimal extension package (a zip with its manifest), made here: no marketplace needed."""
    import io
    import zipfile

    package = {"name": "pytest-ext", "publisher": "deskbench", "version": "0.0.1", "engines": {"vscode": "^1.50.0"}}
    manifest = ('<?xml version="1.0" encoding="utf-8"?><PackageManifest Version="2.0.0" '
                'xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011"><Metadata>'
                '<Identity Language="en-US" Id="pytest-ext" Version="0.0.1" Publisher="deskbench"/>'
                '<DisplayName>pytest-ext</DisplayName></Metadata><Installation>'
                '<InstallationTarget Id="Microsoft.VisualStudio.Code"/></Installation><Assets>'
                '<Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true"/>'
                '</Assets></PackageManifest>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("extension.vsixmanifest", manifest)
        archive.writestr("extension/package.json", json.dumps(package))
    return buffer.getvalue()


@pytest.mark.docker
def test_sudo_works_only_in_an_episode_that_opted_in(osworld_image: str, mine_removed: None) -> None:
    with start_sandbox("osworld", labels=dict(LABELS)) as plain:
        refused = plain.guest.run("echo password | sudo -S id -u")
        assert refused.exit_code != 0 and "no new privileges" in refused.stderr.lower()
    with start_sandbox("osworld", labels=dict(LABELS), privileged_user=True) as privileged:
        assert privileged.container.labels.get("deskbench.privileged_user") == "1"
        root = privileged.guest.run("echo password | sudo -S id -u")
        assert root.exit_code == 0 and root.stdout.strip() == "0", root.stderr
        wrong = privileged.guest.run("echo nope | sudo -S -k id -u")
        assert wrong.exit_code != 0
        made = privileged.guest.run("echo password | sudo -S mkdir /test-dir && stat -c %U /test-dir")
        assert made.stdout.strip() == "root", made.stderr
        network = privileged.guest.run("echo password | sudo -S ip -o link 2>/dev/null || cat /proc/net/dev")
        assert "eth0" not in network.stdout  # still no network interface but loopback
