"""The text editor tool on the host: view, create, str_replace, insert, undo_edit.

Files are read and written as bytes through the guest and edited as UTF-8
text, so tabs, line endings and everything outside the edit stay as they were.

Versions differ in two places only: ``insert`` takes its text in ``new_str``
(20241022, 20250124) or ``insert_text`` (20250728), and ``undo_edit`` exists
only before 20250728.  Every refusal is a ``ToolError`` whose text the model
reads, so it names the parameter or file and what to do instead.
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from dataclasses import dataclass

from harness.actions.vocabulary import EditorAction
from harness.errors import ConfigError, GuestError
from harness.sandbox.guest import GuestClient
from harness.tools.result import ToolError, ToolResult

SNIPPET_LINES = 4
#: Files the editor reads whole, through the guest; a larger one is for grep, sed and head in bash.
MAX_FILE_BYTES = 16 << 20
#: Linux's PATH_MAX: a longer path cannot be opened, and one of a megabyte would overflow a command line.
MAX_PATH_CHARS = 4096
#: Pseudo file systems whose "regular" files are endless, blocking or refuse to be read (/proc/self/mem,
#: /proc/kmsg); reading one would hang or break the guest rather than tell the model anything.
PSEUDO_ROOTS = ("/proc/", "/sys/")


def _short(text: str, limit: int = 500) -> str:
    """A value quoted back in a refusal, cut so that a megabyte of old_str does not come back as the error."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def numbered(text: str, start: int = 1) -> str:
    return "\n".join(f"{i:6}\t{line}" for i, line in enumerate(text.split("\n"), start))


VERSIONS = ("20241022", "20250124", "20250728")


@dataclass(frozen=True)
class PathInfo:
    """What is at a path: ``kind`` is dir, file, special (a device, pipe or socket) or none."""

    kind: str
    size: int = 0
    real: str = ""


class Editor:
    def __init__(self, guest: GuestClient, version: str = "20250728") -> None:
        if version not in VERSIONS:
            raise ConfigError(f"unknown text editor version {version!r} (known: {', '.join(VERSIONS)})")
        self.guest = guest
        self.version = version
        #: earlier contents per file, newest last; None: the file did not exist (undo of create removes it)
        self.history: dict[str, list[str | None]] = defaultdict(list)

    @property
    def commands(self) -> tuple[str, ...]:
        basic = ("view", "create", "str_replace", "insert")
        return basic if self.version == "20250728" else (*basic, "undo_edit")

    def execute(self, a: EditorAction) -> ToolResult:
        if a.command not in self.commands:
            raise ToolError(f"{a.command} is not a command of text_editor_{self.version}; the commands are "
                            f"{', '.join(self.commands)}")
        if "\x00" in a.path:
            raise ToolError("the path contains a NUL character, which no file name can hold")
        if len(a.path) > MAX_PATH_CHARS:
            raise ToolError(f"the path is {len(a.path)} characters long; paths are at most {MAX_PATH_CHARS}")
        if not a.path.startswith("/"):
            raise ToolError(f"the path {a.path} is not an absolute path; it should start with '/'")
        handler = getattr(self, f"_{a.command}")
        result: ToolResult = handler(a)
        return result

    # -- file access
    def _info(self, path: str) -> PathInfo:
        """One guest round trip: the kind of the path and, for a regular file, its size and real path."""
        q = shlex.quote(path)
        r = self.guest.run(f"if [ -d {q} ]; then echo dir; elif [ -f {q} ]; then "
                           f"printf 'file %s %s' \"$(stat -L -c %s -- {q})\" \"$(readlink -f -- {q})\"; "
                           f"elif [ -e {q} ]; then echo special; else echo none; fi")
        words = r.stdout.rstrip("\n").split(" ", 2)
        if words[0] == "file" and len(words) == 3 and words[1].isdigit():
            return PathInfo("file", int(words[1]), words[2])
        if words[0] in ("dir", "special", "none"):
            return PathInfo(words[0])
        raise ToolError(f"cannot inspect the path {path}: {(r.stderr or r.stdout).strip()[:200]}")

    def _kind(self, path: str) -> str:
        return self._info(path).kind

    def _read(self, path: str, info: PathInfo | None = None) -> str:
        info = info or self._info(path)
        if info.kind == "none":
            raise ToolError(f"the path {path} does not exist")
        if info.kind == "dir":
            raise ToolError(self._directory_refusal(path))
        if info.kind == "special" or info.real.startswith(PSEUDO_ROOTS):
            raise ToolError(f"the path {path} is not a regular file (a device, pipe, socket, or a file under /proc "
                            "or /sys): the editor only opens regular files; use the bash tool to read it")
        if info.size > MAX_FILE_BYTES:
            raise ToolError(f"the file {path} has {info.size} bytes; the editor opens files up to {MAX_FILE_BYTES} "
                            "bytes: use the bash tool (grep -n, sed -n, head) to work on it")
        try:
            data = self.guest.read_file(path, as_user=True)
        except GuestError as exc:
            if exc.status == 404:
                raise ToolError(f"the path {path} does not exist") from None
            if "is a directory" in str(exc):
                raise ToolError(self._directory_refusal(path)) from None
            if exc.status >= 500:
                raise
            raise ToolError(str(exc)) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(f"{path} is not a UTF-8 text file") from None

    def _write(self, path: str, text: str) -> None:
        try:
            self.guest.write_file(path, text.encode("utf-8"))
        except GuestError as exc:
            raise ToolError(f"cannot write {path}: {exc}") from None

    @staticmethod
    def _directory_refusal(path: str) -> str:
        return f"the path {path} is a directory and only the `view` command can be used on directories"

    # -- commands
    def _view(self, a: EditorAction) -> ToolResult:
        info = self._info(a.path)
        if info.kind == "none":
            raise ToolError(f"the path {a.path} does not exist")
        if info.kind == "dir":
            if a.view_range is not None:
                raise ToolError("view_range is not allowed when path points to a directory")
            r = self.guest.run(["find", a.path, "-maxdepth", "2", "-not", "-path", "*/.*"], shell=False)
            listing = "\n".join(sorted(r.stdout.splitlines()))
            return ToolResult(output=f"Files and directories up to 2 levels deep in {a.path}, excluding hidden "
                                     f"items:\n{listing}\n")
        text = self._read(a.path, info)
        start = 1
        if a.view_range is not None:
            lines = text.split("\n")
            first, last = a.view_range
            if not 1 <= first <= len(lines):
                raise ToolError(f"view_range first line {first} should be within [1, {len(lines)}]")
            if last != -1 and not first <= last <= len(lines):
                raise ToolError(f"view_range last line {last} should be -1 or within [{first}, {len(lines)}]")
            text = "\n".join(lines[first - 1:] if last == -1 else lines[first - 1:last])
            start = first
        return ToolResult(output=f"Here's the result of running `cat -n` on {a.path}:\n{numbered(text, start)}\n")

    def _create(self, a: EditorAction) -> ToolResult:
        if a.file_text is None:
            raise ToolError("parameter file_text is required for command: create")
        kind = self._kind(a.path)
        if kind == "dir":
            raise ToolError(self._directory_refusal(a.path))
        if kind != "none":
            raise ToolError(f"file already exists at: {a.path}; create cannot overwrite files")
        self._write(a.path, a.file_text)
        self.history[a.path].append(None)
        return ToolResult(output=f"File created successfully at: {a.path}")

    def _str_replace(self, a: EditorAction) -> ToolResult:
        if a.old_str is None:
            raise ToolError("parameter old_str is required for command: str_replace")
        if a.old_str == "":
            raise ToolError("old_str must not be empty: give the exact text to replace (to add text, use insert)")
        text = self._read(a.path)
        count = text.count(a.old_str)
        if count == 0:
            raise ToolError(f"no replacement was performed, old_str `{_short(a.old_str)}` did not appear verbatim in "
                            f"{a.path}")
        if count > 1:
            lines = [i + 1 for i, line in enumerate(text.split("\n")) if a.old_str.split("\n")[0] in line]
            raise ToolError(f"no replacement was performed: multiple occurrences of old_str `{_short(a.old_str)}` in "
                            f"lines {_short(str(lines))}; please ensure it is unique")
        new = a.new_str or ""
        updated = text.replace(a.old_str, new, 1)
        self._write(a.path, updated)
        self.history[a.path].append(text)
        line = text.split(a.old_str)[0].count("\n")
        return ToolResult(output=f"The file {a.path} has been edited. " + self._snippet(updated, line, new))

    def _insert(self, a: EditorAction) -> ToolResult:
        new = a.insert_text if self.version == "20250728" else a.new_str
        if a.insert_line is None or new is None:
            field = "insert_text" if self.version == "20250728" else "new_str"
            raise ToolError(f"parameters insert_line and {field} are required for command: insert")
        text = self._read(a.path)
        lines = text.split("\n")
        if not 0 <= a.insert_line <= len(lines):
            raise ToolError(f"insert_line {a.insert_line} should be within [0, {len(lines)}]")
        updated = "\n".join(lines[:a.insert_line] + new.split("\n") + lines[a.insert_line:])
        self._write(a.path, updated)
        self.history[a.path].append(text)
        return ToolResult(output=f"The file {a.path} has been edited. " + self._snippet(updated, a.insert_line, new))

    def _undo_edit(self, a: EditorAction) -> ToolResult:
        if not self.history[a.path]:
            raise ToolError(f"no edit history found for {a.path}")
        previous = self.history[a.path].pop()
        if previous is None:  # undoing a create
            self.guest.run(["rm", "-f", "--", a.path], shell=False)
            return ToolResult(output=f"Last edit to {a.path} undone successfully: the file created there was "
                                     "removed.")
        self._write(a.path, previous)
        return ToolResult(output=f"Last edit to {a.path} undone successfully. Here's the result of running "
                                 f"`cat -n` on {a.path}:\n{numbered(previous)}\n")

    @staticmethod
    def _snippet(text: str, line: int, inserted: str) -> str:
        lines = text.split("\n")
        first = max(0, line - SNIPPET_LINES)
        last = line + inserted.count("\n") + SNIPPET_LINES + 1
        return (f"Here's the result of running `cat -n` on a snippet:\n{numbered(chr(10).join(lines[first:last]), first + 1)}"
                "\nReview the changes and make sure they are as expected. Edit the file again if necessary.")
