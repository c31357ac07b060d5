"""The confirmation policy: deny, or ask a human, before actions that match listed patterns.

The provider's guidance for computer use asks for a human in the loop before
consequential actions (deleting data, paying, accepting terms).  The agent
loop shows every action to the policy before it runs.  A rule matches on the
action's own fields -- a bash command, typed text, an editor path -- and on
the model's text of the same turn, because a click on "Buy now" is only a
coordinate: what the model says it is doing ("I'll click Buy now") is what
identifies it.  A denied action is not executed; the model gets a tool error
saying why, so it can ask the user instead.  Every decision is recorded in
the trajectory.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.actions.vocabulary import BashAction, ComputerAction, EditorAction, ToolAction
from harness.errors import ConfigError

Decision = Literal["deny", "ask"]
ToolFamily = Literal["computer", "bash", "editor"]
TOOL_FAMILIES: tuple[ToolFamily, ...] = ("computer", "bash", "editor")
Verdict = Literal["allowed", "denied", "confirmed"]
BUILT_IN = Path(__file__).resolve().parent / "policies"
#: Computer actions that only look or wait: never blocked because of what the model says in the same turn.
PASSIVE = frozenset({"screenshot", "cursor_position", "mouse_move", "zoom", "wait", "scroll"})

#: Asks a human (or stands in for one): given the rule and a description of the action, True allows it.
Confirmer = Callable[["Rule", str], bool]


class Rule(BaseModel):
    """One pattern: which tool's actions it looks at, the regular expression, and what to do on a match."""

    model_config = ConfigDict(extra="forbid")

    name: str
    tools: list[ToolFamily] = Field(default_factory=lambda: list(TOOL_FAMILIES))
    pattern: str
    in_model_text: bool = False  # also match the model's text of the turn (for clicks, which carry no words)
    decision: Decision = "deny"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

    def matches(self, tool: str, subject: str, model_text: str, acts: bool) -> bool:
        """``acts``: the action changes something (a click, typing), so the turn's text may identify it."""
        if tool not in self.tools:
            return False
        regex = re.compile(self.pattern, re.IGNORECASE)
        return bool(regex.search(subject) or (self.in_model_text and acts and model_text and regex.search(model_text)))


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule]


@dataclass(frozen=True)
class Intervention:
    """What the policy did about one action: recorded in the trajectory's step."""

    rule: str
    decision: Decision
    verdict: Verdict
    action: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "decision": self.decision, "verdict": self.verdict, "action": self.action}


@dataclass
class ConfirmationPolicy:
    """Rules checked in order; the first match decides.  ``confirm`` answers the ``ask`` rules."""

    rules: list[Rule]
    confirm: Confirmer = field(default=lambda rule, action: False)  # nobody to ask: refuse

    def review(self, action: ToolAction, model_text: str | None) -> Intervention | None:
        """None when no rule matches (the action runs); otherwise what was decided."""
        tool, subject = describe(action)
        acts = not (isinstance(action, ComputerAction) and action.action in PASSIVE)
        for rule in self.rules:
            if rule.matches(tool, subject, model_text or "", acts):
                allowed = rule.decision == "ask" and self.confirm(rule, subject)
                return Intervention(rule.name, rule.decision, "confirmed" if allowed else "denied", subject)
        return None


def describe(action: ToolAction) -> tuple[str, str]:
    """The tool family and the text a rule is matched against."""
    if isinstance(action, BashAction):
        return "bash", action.command or ("restart" if action.restart else "")
    if isinstance(action, EditorAction):
        return "editor", f"{action.command} {action.path} {action.file_text or action.new_str or ''}".strip()
    assert isinstance(action, ComputerAction)
    parts = [action.action, action.text or ""]
    if action.coordinate is not None:
        parts.append(f"at {action.coordinate[0]},{action.coordinate[1]}")
    return "computer", " ".join(p for p in parts if p)


def denial_message(intervention: Intervention) -> str:
    """The tool error the model sees: what was blocked, by which rule, and what to do instead."""
    return (f"blocked by the confirmation policy (rule {intervention.rule!r}): this action needs the user's "
            "confirmation, which was not given. Do not retry it; stop and ask the user.")


def policy_digest(name_or_path: str | None) -> str | None:
    """``name@sha256-prefix`` of a policy's rules, for the manifest: the same name with other rules differs."""
    if not name_or_path:
        return None
    rules = load_policy(name_or_path).rules
    text = json.dumps([r.model_dump() for r in rules], sort_keys=True)
    return f"{name_or_path}@{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def load_policy(name_or_path: str, confirm: Confirmer | None = None) -> ConfirmationPolicy:
    """A built-in policy by name (``default``) or a JSON file of ``{"rules": [...]}``."""
    path = BUILT_IN / f"{name_or_path}.json" if not name_or_path.endswith(".json") else Path(name_or_path)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in BUILT_IN.glob("*.json")))
        raise ConfigError(f"confirmation policy {name_or_path!r}: no such file or built-in policy ({known})")
    try:
        rules = PolicyFile.model_validate(json.loads(path.read_text(encoding="utf-8"))).rules
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: not a confirmation policy: {problems}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not a confirmation policy: {exc}") from None
    return ConfirmationPolicy(rules, confirm) if confirm is not None else ConfirmationPolicy(rules)
