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

from harness.actions.vocabulary import EditorAction
from harness.errors import ConfigError, GuestError
from harness.sandbox.guest import GuestClient
from harness.tools.result import ToolError, ToolResult

SNIPPET_LINES = 4


def numbered(text: str, start: int = 1) -> str:
    return "\n".join(f"{i:6}\t{line}" for i, line in enumerate(text.split("\n"), start))


VERSIONS = ("20241022", "20250124", "20250728")


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
        if not a.path.startswith("/"):
            raise ToolError(f"the path {a.path} is not an absolute path; it should start with '/'")
        handler = getattr(self, f"_{a.command}")
        result: ToolResult = handler(a)
        return result

    # -- file access
    def _kind(self, path: str) -> str:
        r = self.guest.run(f"if [ -d {shlex.quote(path)} ]; then echo dir; elif [ -e {shlex.quote(path)} ]; "
                           f"then echo file; else echo none; fi")
        return r.stdout.strip()

    def _read(self, path: str) -> str:
        try:
            data = self.guest.read_file(path)
        except GuestError as exc:
            if exc.status == 404:
                raise ToolError(f"the path {path} does not exist") from None
            if "is a directory" in str(exc):
                raise ToolError(self._directory_refusal(path)) from None
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
        kind = self._kind(a.path)
        if kind == "none":
            raise ToolError(f"the path {a.path} does not exist")
        if kind == "dir":
            if a.view_range is not None:
                raise ToolError("view_range is not allowed when path points to a directory")
            r = self.guest.run(["find", a.path, "-maxdepth", "2", "-not", "-path", "*/.*"], shell=False)
            listing = "\n".join(sorted(r.stdout.splitlines()))
            return ToolResult(output=f"Files and directories up to 2 levels deep in {a.path}, excluding hidden "
                                     f"items:\n{listing}\n")
        text = self._read(a.path)
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
            raise ToolError(f"no replacement was performed, old_str `{a.old_str}` did not appear verbatim in {a.path}")
        if count > 1:
            lines = [i + 1 for i, line in enumerate(text.split("\n")) if a.old_str.split("\n")[0] in line]
            raise ToolError(f"no replacement was performed: multiple occurrences of old_str `{a.old_str}` in lines "
                            f"{lines}; please ensure it is unique")
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
