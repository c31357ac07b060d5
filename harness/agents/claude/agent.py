"""The ``claude`` agent: Claude's computer, bash and text-editor tools over the Messages API.

One step is one model call.  The tools the model calls are not executed
here: they become deskbench actions that the runner executes through the
guest, exactly as a reference solution's actions are, and their results come
back in the next observation, aligned with the turn's actions.  The agent
keeps the pairing of ``tool_use`` ids to those results itself, answers calls
it refused (bad input, wrong version, off-screen) with an error result, and
accounts tokens, cost and latency per call.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import anthropic

from harness.actions.vocabulary import ToolAction
from harness.agents.base import Agent, EpisodeInfo, Observation, Turn, Usage
from harness.agents.claude.api import CallOutcome, MessagesCaller
from harness.agents.claude.history import (
    Message,
    assistant_params,
    count_images,
    prune_screenshots,
    sendable,
    system_blocks,
    with_cache_breakpoints,
)
from harness.agents.claude.options import ClaudeOptions
from harness.agents.claude.prompt import is_infeasible, system_prompt
from harness.agents.claude.scaling import Scaling, choose_scaling
from harness.agents.claude.translate import (
    PlannedCall,
    ToolInputError,
    image_block,
    model_screenshot,
    to_action,
    tool_result_block,
)
from harness.agents.claude.versions import ModelSpec, Toolset, check_model, toolset_for_model
from harness.agents.pricing import Rates, rates_for
from harness.errors import ConfigError, DeskbenchError
from harness.sandbox.settle import SettlePolicy
from harness.tools.result import ToolResult

API_KEY_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
#: stop reasons after which the reply's tool calls are acted on, or its text read as the final answer
FINAL_STOPS = frozenset({"end_turn", "tool_use", "stop_sequence"})
THINKING_ONLY_NUDGE = "Continue: call a tool for the next step, or say that the task is done."


class ModelStopped(DeskbenchError):
    """The model ended a turn without an answer the episode can use (refusal, output cut off, ...).

    Raised by ``act``, it ends the episode as an agent error whose message names the stop reason,
    so a cut-off or refused turn is never read as the model declaring the task done.
    """


class ClaudeAgent(Agent):
    """Claude through the Messages API; options as in ``ClaudeOptions`` (e.g. ``model``, ``thinking_budget``)."""

    name = "claude"
    wants_action_screenshots = True

    def __init__(self, model: str | None = None, *, client: anthropic.Anthropic | None = None,
                 sleep: Callable[[float], None] | None = None, **options: Any) -> None:
        if model is not None:
            options["model"] = model
        self.options = ClaudeOptions.parse(options)
        self.spec: ModelSpec | None = check_model(self.options.model)
        self.toolset: Toolset = toolset_for_model(self.options.model, self.options.tool_version)
        self._check_sampling()
        self.editor_version = self.toolset.editor_version
        #: the runner waits this way for the desktop to redraw before each action's screenshot
        self.settle: SettlePolicy | None = (SettlePolicy(self.options.settle_window, self.options.settle_cap,
                                                         new_window=self.options.settle_new_window,
                                                         deferred=self.options.settle_deferred)
                                            if self.options.settle_window > 0 else None)
        self.rates: Rates = rates_for(self.options.model, self.options.pricing, self.options.price)
        self.client = client if client is not None else self._make_client()
        policy = self.options.retry_policy()
        self.caller = MessagesCaller(self.client, policy, sleep=sleep or time.sleep)
        #: one dict per model call of the current episode: tokens, cost, latency, retries (for trajectories)
        self.calls: list[dict[str, Any]] = []
        self.messages: list[Message] = []
        self.scaling: Scaling = choose_scaling((1280, 800))
        self.system = ""
        self._pending: list[PlannedCall] = []
        self._instruction = ""

    def _check_sampling(self) -> None:
        """A sampling parameter the model no longer accepts is refused now, not as a 400 mid-episode."""
        if self.options.temperature is not None and self.spec is not None and not self.spec.sampling:
            raise ConfigError(f"model {self.options.model!r} does not accept temperature (the API answers 400); "
                              "leave the agent option temperature unset")

    @classmethod
    def from_options(cls, **options: Any) -> ClaudeAgent:
        """The registry's factory: an AgentSpec's typed option values (or strings, converted alike)."""
        return cls(**options)

    def _make_client(self) -> anthropic.Anthropic:
        if not any(os.environ.get(v) for v in API_KEY_VARIABLES):
            raise ConfigError("the claude agent needs an API key: set ANTHROPIC_API_KEY (any value for a local "
                              "mock server started with python -m harness.mockapi)")
        kwargs: dict[str, Any] = {"max_retries": 0, "timeout": self.options.request_timeout}
        if self.options.base_url:
            kwargs["base_url"] = self.options.base_url
        return anthropic.Anthropic(**kwargs)

    def model_name(self) -> str:
        return self.options.model

    @property
    def tool_names(self) -> tuple[str, ...]:
        names = {"computer": "computer", "bash": "bash", "editor": self.toolset.editor_name}
        return tuple(names[k] for k in self.options.tools)

    # -- the Agent interface
    def start(self, episode: EpisodeInfo) -> None:
        self.scaling = choose_scaling(episode.screen)
        self.system = system_prompt(self.scaling.scaled, self.tool_names, self.options.system_suffix)
        self.messages = []
        self.calls = []
        self._pending = []
        self._instruction = episode.instruction

    def act(self, observation: Observation) -> Turn:
        if not self.messages:
            self.messages.append(self._first_message(observation))
        else:
            self.messages.append(self._results_message(observation.tool_results))
        usage = Usage()
        calls: list[dict[str, Any]] = []
        max_tokens = self.options.max_tokens
        for extra in range(self.options.max_continuations + 1):
            request = self.request(max_tokens)
            outcome = self.caller.create(stream=self._streams(request), **request)
            response = outcome.response
            stop = str(getattr(response, "stop_reason", None))
            call_usage = self._usage(response.usage)
            _add(usage, call_usage, outcome.retries, outcome.retried_seconds)
            calls.append(self._record(observation.step, outcome, call_usage, count_images(request["messages"])))
            uses = [b for b in response.content if getattr(b, "type", None) == "tool_use"]
            last = extra == self.options.max_continuations
            if stop == "max_tokens":  # cut off, maybe inside a tool call's input: ask again with more room
                if last or max_tokens >= self.options.max_tokens_ceiling:
                    raise ModelStopped(f"stop_reason max_tokens: the reply was cut off at max_tokens={max_tokens} "
                                       f"{extra + 1} times in step {observation.step}; raise the agent option "
                                       "max_tokens")
                max_tokens = min(2 * max_tokens, self.options.max_tokens_ceiling)
                continue
            if stop == "refusal":
                raise ModelStopped(f"stop_reason refusal: the model declined to continue in step {observation.step}")
            if stop == "pause_turn" or (stop in FINAL_STOPS and not uses and not _text(response.content)):
                # paused by the API, or a turn of thinking only: hand it back and let the model go on
                if last:
                    raise ModelStopped(f"stop_reason {stop}: no answer after {extra + 1} calls in step "
                                       f"{observation.step}")
                self._continue_after(response.content, nudge=stop != "pause_turn")
                continue
            if stop not in FINAL_STOPS and not uses:
                raise ModelStopped(f"stop_reason {stop}: the turn ended without an answer in step {observation.step}")
            self.messages.append({"role": "assistant", "content": assistant_params(response.content)})
            turn = self._turn(response.content, usage)
            for call in calls:
                call["tool_uses"], call["refused"] = 0, 0
            calls[-1]["tool_uses"] = len(self._pending)
            calls[-1]["refused"] = sum(1 for c in self._pending if c.error is not None)
            self.calls.extend(calls)
            turn.calls = calls
            return turn
        raise AssertionError("unreachable: the last continuation returns or raises")

    def _continue_after(self, content: list[Any], nudge: bool) -> None:
        """Echo a paused or thinking-only reply; a thinking-only one is followed by a short user nudge."""
        params = assistant_params(content)
        if params:
            self.messages.append({"role": "assistant", "content": params})
        if nudge or not params:
            self.messages.append({"role": "user", "content": [{"type": "text", "text": THINKING_ONLY_NUDGE}]})

    def _streams(self, request: dict[str, Any]) -> bool:
        return int(request["max_tokens"]) >= self.options.stream_from_tokens

    # -- requests
    def tool_definitions(self) -> list[dict[str, Any]]:
        width, height = self.scaling.scaled
        defs: list[dict[str, Any]] = []
        for kind in self.options.tools:
            if kind == "computer":
                computer: dict[str, Any] = {"type": self.toolset.computer_type, "name": "computer",
                                            "display_width_px": width, "display_height_px": height}
                if "zoom" in self.toolset.computer_actions:
                    computer["enable_zoom"] = True
                defs.append(computer)
            elif kind == "bash":
                defs.append({"type": self.toolset.bash_type, "name": "bash"})
            else:
                defs.append({"type": self.toolset.editor_type, "name": self.toolset.editor_name})
        return defs

    def request(self, max_tokens: int | None = None) -> dict[str, Any]:
        """The keyword arguments of the next ``beta.messages.create`` call, derived from the full history."""
        o = self.options
        messages = prune_screenshots(self.messages, o.keep_screenshots, o.screenshot_drop_chunk)
        if o.prompt_caching:
            messages = with_cache_breakpoints(messages)
        request: dict[str, Any] = {
            "model": o.model, "max_tokens": max_tokens or o.max_tokens, "system": system_blocks(self.system, o.prompt_caching),
            "messages": messages, "tools": self.tool_definitions(),
            "betas": [o.beta or self.toolset.beta, *o.extra_betas],
        }
        if o.temperature is not None:  # sent as a body field: not every SDK version has the keyword
            request["extra_body"] = {"temperature": o.temperature}
        if o.thinking_budget:  # models with adaptive thinking only refuse a budget (400): they decide how much
            adaptive = self.spec is not None and self.spec.thinking == "adaptive"
            request["thinking"] = {"type": "adaptive"} if adaptive else {"type": "enabled",
                                                                          "budget_tokens": o.thinking_budget}
        return request

    def _first_message(self, observation: Observation) -> Message:
        content: list[dict[str, Any]] = [{"type": "text", "text": self._instruction}]
        if self.options.initial_screenshot:
            content.append(image_block(model_screenshot(observation.screenshot, self.scaling)))
        return {"role": "user", "content": content}

    def _results_message(self, results: list[ToolResult]) -> Message:
        """One tool_result per tool_use of the previous turn, in order: executed ones take the next result."""
        blocks = []
        executed = iter(results)
        for call in self._pending:
            result = next(executed, None) if call.action is not None else None
            blocks.append(tool_result_block(call, result, self.scaling))
        self._pending = []
        if not blocks:  # the previous turn asked for nothing (cannot happen: it would have ended the episode)
            blocks = [{"type": "text", "text": "Continue."}]
        return {"role": "user", "content": [sendable(b) for b in blocks]}

    # -- responses
    def _turn(self, content: list[Any], usage: Usage) -> Turn:
        text = "\n".join(b.text for b in content if getattr(b, "type", None) == "text" and b.text).strip()
        uses = [b for b in content if getattr(b, "type", None) == "tool_use"]
        if not uses:
            return Turn(control="FAIL" if is_infeasible(text) else "DONE", text=text, usage=usage)
        self._pending = [self._plan(b.id, b.name, b.input) for b in uses]
        actions: list[ToolAction] = [c.action for c in self._pending if c.action is not None]
        return Turn(actions=actions, text=text, usage=usage)

    def _plan(self, tool_use_id: str, name: str, tool_input: Any) -> PlannedCall:
        try:
            return PlannedCall(tool_use_id, action=to_action(name, tool_input, self.toolset, self.tool_names,
                                                             self.scaling))
        except ToolInputError as exc:
            return PlannedCall(tool_use_id, error=str(exc))

    # -- accounting
    def _usage(self, usage: Any) -> Usage:
        input_tokens = int(getattr(usage, "input_tokens", 0) or 0)
        output_tokens = int(getattr(usage, "output_tokens", 0) or 0)
        write = int(getattr(usage, "cache_creation_input_tokens", 0) or 0)
        read = int(getattr(usage, "cache_read_input_tokens", 0) or 0)
        return Usage(input_tokens, output_tokens, write, read,
                     self.rates.cost(input_tokens, output_tokens, write, read))

    def _record(self, step: int, outcome: CallOutcome, usage: Usage, images_sent: int) -> dict[str, Any]:
        """What one call did, for ``steps.jsonl``: enough to find it in the provider's logs and to cost it."""
        response = outcome.response
        return {
            "step": step, "model": self.options.model, "request_id": outcome.request_id,
            "stop_reason": getattr(response, "stop_reason", None), "streamed": outcome.streamed,
            "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cache_write_tokens": usage.cache_write_tokens, "cache_read_tokens": usage.cache_read_tokens,
            "cost_usd": usage.cost_usd, "latency_s": round(outcome.latency, 4), "wall_s": round(outcome.wall, 4),
            "retries": outcome.retries, "retried_s": round(outcome.retried_seconds, 4),
            "attempts": [f.as_dict() for f in outcome.failed], "images_sent": images_sent,
        }

    @property
    def total_retries(self) -> int:
        return self.caller.total_retries


def _text(content: list[Any]) -> str:
    return "".join(b.text for b in content if getattr(b, "type", None) == "text" and b.text).strip()


def _add(total: Usage, call: Usage, retries: int, retried_seconds: float) -> None:
    total.input_tokens += call.input_tokens
    total.output_tokens += call.output_tokens
    total.cache_write_tokens += call.cache_write_tokens
    total.cache_read_tokens += call.cache_read_tokens
    total.cost_usd += call.cost_usd
    total.calls += 1
    total.retries += retries
    total.retried_seconds += retried_seconds
