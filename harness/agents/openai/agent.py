"""The ``openai`` agent: OpenAI's computer-use tool over the Responses API.

One step is one model call.  The conversation lives on OpenAI's side: each
call names the previous response (``previous_response_id``) and sends only
what is new, the outputs of the previous turn's calls.  The model's calls
become deskbench actions that the runner executes (and shows to the
confirmation policy), exactly as Claude's do; their results come back in the
next observation and are answered in the same order.  A computer call that
carries ``pending_safety_checks`` is surfaced in the turn's text, so the
policy's rules can read it, and its checks are acknowledged only when the
policy let the action run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import openai

from harness.actions.vocabulary import ToolAction
from harness.agents.base import Agent, EpisodeInfo, Observation, Turn, Usage
from harness.agents.claude.agent import ModelStopped
from harness.agents.claude.agent import _add as add_usage
from harness.agents.claude.prompt import is_infeasible, system_prompt
from harness.agents.claude.scaling import Scaling
from harness.agents.openai.api import ResponsesCaller
from harness.agents.openai.functions import FUNCTION_NAMES, FUNCTION_TOOLS
from harness.agents.openai.options import OpenAIOptions
from harness.agents.openai.scaling import choose_display
from harness.agents.openai.translate import (
    CallInputError,
    computer_actions,
    function_action,
    function_output,
    input_image,
    screenshot_output,
)
from harness.agents.pricing import Rates, rates_for
from harness.agents.retry import CallOutcome
from harness.errors import ConfigError
from harness.sandbox.guest import Screenshot
from harness.tools.result import ToolResult

API_KEY_VARIABLE = "OPENAI_API_KEY"
#: how the runner's denial of an action begins (harness.runner.policy.denial_message)
POLICY_DENIAL = "blocked by the confirmation policy"
REFUSED_CHECK = ("not executed: OpenAI's safety check {code} flagged this action ({message}) and this run does not "
                 "acknowledge safety checks. Do not retry it; stop and ask the user.")


@dataclass
class PendingCall:
    """One call of the model's last turn: the actions it became (or why none), and its safety checks."""

    call_id: str
    kind: Literal["computer", "function"]
    actions: list[ToolAction] = field(default_factory=list)
    error: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)


class OpenAIAgent(Agent):
    """OpenAI's computer-use model through the Responses API; options as in ``OpenAIOptions``."""

    name = "openai"
    wants_action_screenshots = True

    def __init__(self, model: str | None = None, *, client: openai.OpenAI | None = None,
                 sleep: Callable[[float], None] | None = None, **options: Any) -> None:
        if model is not None:
            options["model"] = model
        self.options = OpenAIOptions.parse(options)
        self.rates: Rates = rates_for(self.options.model, self.options.pricing, self.options.price)
        self.client = client if client is not None else self._make_client()
        policy = self.options.retry_policy()
        self.caller = ResponsesCaller(self.client, policy, sleep=sleep or time.sleep)
        self.calls: list[dict[str, Any]] = []
        self.scaling: Scaling = choose_display((1280, 800))
        self.instructions = ""
        self.previous_id: str | None = None
        self._pending: list[PendingCall] = []
        self._instruction = ""

    @classmethod
    def from_options(cls, **options: Any) -> OpenAIAgent:
        """The registry's factory: an AgentSpec's typed option values (or strings, converted alike)."""
        return cls(**options)

    def _make_client(self) -> openai.OpenAI:
        key = self.options.api_key or os.environ.get(API_KEY_VARIABLE)
        if not key:
            raise ConfigError(f"the openai agent needs an API key: set {API_KEY_VARIABLE} (any value for the local "
                              "server started with python -m harness.mockapi.openai_responses)")
        return openai.OpenAI(api_key=key, base_url=self.options.base_url, max_retries=0,
                             timeout=self.options.request_timeout)

    def model_name(self) -> str:
        return self.options.model

    @property
    def function_names(self) -> tuple[str, ...]:
        return tuple(FUNCTION_NAMES[k] for k in self.options.tools if k != "computer")

    # -- the Agent interface
    def start(self, episode: EpisodeInfo) -> None:
        self.scaling = choose_display(episode.screen)
        names = (("computer",) if "computer" in self.options.tools else ()) + self.function_names
        self.instructions = system_prompt(self.scaling.scaled, names, self.options.system_suffix)
        self.calls = []
        self.previous_id = None
        self._pending = []
        self._instruction = episode.instruction

    def act(self, observation: Observation) -> Turn:
        items = self._results_items(observation) if self.previous_id else self._first_items(observation)
        request = self.request(items)
        outcome = self.caller.create(**request)
        response = outcome.response
        usage = Usage()
        add_usage(usage, self._usage(getattr(response, "usage", None)), outcome.retries, outcome.retried_seconds)
        record = self._record(observation.step, outcome, usage, sum(1 for _ in _images(items)))
        self.calls.append(record)
        status = getattr(response, "status", None)
        if status not in (None, "completed"):
            details = getattr(response, "incomplete_details", None) or getattr(response, "error", None)
            raise ModelStopped(f"response status {status} ({details}) in step {observation.step}")
        self.previous_id = str(response.id)
        turn = self._turn(list(response.output or []), usage)
        record["tool_uses"] = len(self._pending)
        record["refused"] = sum(1 for c in self._pending if c.error is not None)
        turn.calls = [record]
        return turn

    # -- requests
    def tool_definitions(self) -> list[dict[str, Any]]:
        width, height = self.scaling.scaled
        defs: list[dict[str, Any]] = []
        for kind in self.options.tools:
            if kind == "computer":
                defs.append({"type": "computer_use_preview", "display_width": width, "display_height": height,
                             "environment": self.options.environment})
            else:
                defs.append(FUNCTION_TOOLS[kind])
        return defs

    def request(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """The keyword arguments of the next ``responses.create`` call (instructions are not carried over by
        ``previous_response_id``, so they go with every call; computer use requires truncation ``auto``)."""
        o = self.options
        request: dict[str, Any] = {"model": o.model, "instructions": self.instructions,
                                   "tools": self.tool_definitions(), "truncation": "auto", "input": items}
        if self.previous_id is not None:
            request["previous_response_id"] = self.previous_id
        if o.max_output_tokens is not None:
            request["max_output_tokens"] = o.max_output_tokens
        if o.reasoning_summary is not None:
            request["reasoning"] = {"summary": o.reasoning_summary}
        return request

    def _first_items(self, observation: Observation) -> list[dict[str, Any]]:
        content: list[dict[str, Any]] = [{"type": "input_text", "text": self._instruction}]
        if self.options.initial_screenshot:
            content.append(input_image(observation.screenshot, self.scaling))
        return [{"role": "user", "content": content}]

    def _results_items(self, observation: Observation) -> list[dict[str, Any]]:
        """One output per call of the previous turn, in order, and a note naming what failed or was refused."""
        items: list[dict[str, Any]] = []
        notes: list[str] = []
        executed = iter(observation.tool_results)
        for call in self._pending:
            results = [next(executed, ToolResult(error="not executed")) for _ in call.actions]
            errors = [r.error for r in results if r.error is not None]
            if call.error is not None:
                errors.insert(0, call.error)
            if call.kind == "function":
                text = "\n".join(r.output or "" for r in results if r.output).strip()
                items.append(function_output(call.call_id, f"Error: {'; '.join(errors)}" if errors else text))
                continue
            denied = call.error is not None or any(e.startswith(POLICY_DENIAL) for e in errors)
            shots = [r.screenshot for r in results if r.screenshot is not None]
            items.append(screenshot_output(call.call_id, _last(shots, observation.screenshot), self.scaling,
                                           [] if denied else call.checks))
            notes.extend(f"The computer action of call {call.call_id} failed: {e}" for e in errors)
        self._pending = []
        if notes:
            items.append({"role": "user", "content": [{"type": "input_text", "text": "\n".join(notes)}]})
        return items

    # -- responses
    def _turn(self, output: list[Any], usage: Usage) -> Turn:
        texts: list[str] = []
        for item in output:
            kind = getattr(item, "type", None)
            if kind == "message":
                texts.extend(c.text for c in item.content if getattr(c, "type", None) == "output_text" and c.text)
            elif kind == "reasoning":
                texts.extend(s.text for s in (getattr(item, "summary", None) or []) if getattr(s, "text", ""))
            elif kind == "computer_call":
                self._pending.append(self._plan_computer(item, texts))
            elif kind == "function_call":
                self._pending.append(self._plan_function(item))
        text = "\n".join(texts).strip()
        if not self._pending:
            return Turn(control="FAIL" if is_infeasible(text) else "DONE", text=text, usage=usage)
        actions = [a for c in self._pending for a in c.actions]
        return Turn(actions=actions, text=text, usage=usage)

    def _plan_computer(self, item: Any, texts: list[str]) -> PendingCall:
        checks = [{"id": c.id, "code": c.code, "message": c.message} for c in (item.pending_safety_checks or [])]
        call = PendingCall(str(item.call_id), "computer", checks=checks)
        for check in checks:  # in the turn's text, where the confirmation policy's in_model_text rules look
            texts.append(f"OpenAI safety check {check['code']}: {check['message']}")
        if checks and self.options.safety_checks == "refuse":
            first = checks[0]
            call.error = REFUSED_CHECK.format(code=first["code"], message=first["message"])
            return call
        batch = getattr(item, "actions", None)
        steps = [_as_dict(a) for a in batch] if batch else [_as_dict(item.action)]
        try:
            call.actions = [a for step in steps for a in computer_actions(step, self.scaling)]
        except CallInputError as exc:
            call.error = str(exc)
        return call

    def _plan_function(self, item: Any) -> PendingCall:
        call = PendingCall(str(item.call_id), "function")
        try:
            call.actions = [function_action(str(item.name), str(item.arguments), self.function_names)]
        except CallInputError as exc:
            call.error = str(exc)
        return call

    # -- accounting
    def _usage(self, usage: Any) -> Usage:
        """OpenAI counts cached (and written) prompt tokens inside input_tokens: split them out to price them."""
        if usage is None:
            return Usage()
        details = getattr(usage, "input_tokens_details", None)
        read = int(getattr(details, "cached_tokens", 0) or 0)
        write = int(getattr(details, "cache_write_tokens", 0) or 0)
        fresh = max(0, int(usage.input_tokens or 0) - read - write)
        output = int(usage.output_tokens or 0)
        return Usage(fresh, output, write, read, self.rates.cost(fresh, output, write, read))

    def _record(self, step: int, outcome: CallOutcome, usage: Usage, images_sent: int) -> dict[str, Any]:
        """What one call did, for ``steps.jsonl``: enough to find it in OpenAI's logs and to cost it."""
        response = outcome.response
        return {
            "step": step, "model": self.options.model, "request_id": outcome.request_id,
            "response_id": getattr(response, "id", None), "stop_reason": getattr(response, "status", None),
            "streamed": False, "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cache_write_tokens": usage.cache_write_tokens, "cache_read_tokens": usage.cache_read_tokens,
            "cost_usd": usage.cost_usd, "latency_s": round(outcome.latency, 4), "wall_s": round(outcome.wall, 4),
            "retries": outcome.retries, "retried_s": round(outcome.retried_seconds, 4),
            "attempts": [f.as_dict() for f in outcome.failed], "images_sent": images_sent,
            # part of output_tokens (billed as output): how much of the answer was the model's reasoning
            "reasoning_tokens": int(getattr(getattr(getattr(response, "usage", None), "output_tokens_details", None),
                                            "reasoning_tokens", 0) or 0),
        }

    @property
    def total_retries(self) -> int:
        return self.caller.total_retries


def _as_dict(action: Any) -> dict[str, Any]:
    """A computer action as sent: the SDK's model (parsed without validation, so bad fields survive) or a dict."""
    if action is None:
        return {}
    if isinstance(action, dict):
        return action
    dumped = action.model_dump(warnings=False)
    return dumped if isinstance(dumped, dict) else {}


def _last(shots: list[Screenshot], fallback: Screenshot) -> Screenshot:
    return shots[-1] if shots else fallback


def _images(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        if item.get("type") == "computer_call_output":
            yield item
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "input_image":
                yield part
