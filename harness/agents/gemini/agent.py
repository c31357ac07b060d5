"""The ``gemini`` agent: Gemini's computer-use tool over ``generate_content`` with the ``google-genai`` SDK.

One step is one model call.  The function calls the model makes become
deskbench actions that the runner executes, as with every agent; their
results come back in the next observation, aligned with the turn's actions,
and go to the model as one function response per call (the newest screenshot
with the last one).  A call the desktop cannot perform gets an error
response instead.  A call the API's safety service marks
``require_confirmation`` is refused unless the agent option
``safety_confirmation`` is ``policy`` (the run's confirmation policy decides)
or ``allow``; its explanation is part of the turn's text, which the policy
reads.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from google import genai
from google.genai import types

from harness.actions.vocabulary import ToolAction
from harness.agents.base import Agent, EpisodeInfo, Observation, Turn, Usage
from harness.agents.claude.agent import ModelStopped
from harness.agents.claude.prompt import is_infeasible
from harness.agents.gemini.api import GenerateCaller
from harness.agents.gemini.grid import Grid
from harness.agents.gemini.options import GeminiOptions
from harness.agents.gemini.prompt import custom_names, declarations, system_instruction
from harness.agents.gemini.translate import PlannedCall, plan_call
from harness.agents.pricing import Rates, rates_for
from harness.agents.retry import CallOutcome
from harness.errors import ConfigError
from harness.tools.result import ToolResult

API_KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
BASE_URL_VARIABLE = "GOOGLE_GEMINI_BASE_URL"
ENVIRONMENTS = {"desktop": types.Environment.ENVIRONMENT_DESKTOP, "browser": types.Environment.ENVIRONMENT_BROWSER}
NOT_CONFIRMED = ("the safety service asked for the user's confirmation before this action ({explanation}), and it "
                 "was not given: the action did not run. Do not retry it; stop and ask the user.")


class GeminiAgent(Agent):
    """Gemini through ``generate_content``; options as in ``GeminiOptions`` (e.g. ``model``, ``environment``)."""

    name = "gemini"

    def __init__(self, model: str | None = None, *, client: genai.Client | None = None,
                 sleep: Callable[[float], None] | None = None, **options: Any) -> None:
        if model is not None:
            options["model"] = model
        self.options = GeminiOptions.parse(options)
        self.rates: Rates = rates_for(self.options.model, self.options.pricing, self.options.price)
        self.client = client if client is not None else self._make_client()
        policy = self.options.retry_policy()
        self.caller = GenerateCaller(self.client, policy, sleep=sleep or time.sleep)
        self.custom = custom_names(self.options.tools)
        #: one dict per model call of the current episode: tokens, cost, latency, retries (for trajectories)
        self.calls: list[dict[str, Any]] = []
        self.contents: list[types.Content] = []
        self.grid = Grid(1280, 800)
        self._pending: list[PlannedCall] = []
        self._instruction = ""

    @classmethod
    def from_options(cls, **options: Any) -> GeminiAgent:
        """The registry's factory: an AgentSpec's typed option values (or strings, converted alike)."""
        return cls(**options)

    def _make_client(self) -> genai.Client:
        key = next((os.environ[v] for v in API_KEY_VARIABLES if os.environ.get(v)), None)
        if key is None:
            raise ConfigError("the gemini agent needs an API key: set GEMINI_API_KEY (any value for the local server "
                              "started with python -m harness.mockapi.gemini_server)")
        http = types.HttpOptions(base_url=self.options.base_url or os.environ.get(BASE_URL_VARIABLE) or None,
                                 api_version=self.options.api_version,
                                 timeout=int(self.options.request_timeout * 1000),
                                 retry_options=types.HttpRetryOptions(attempts=1))
        return genai.Client(api_key=key, http_options=http)

    def model_name(self) -> str:
        return self.options.model

    # -- the Agent interface
    def start(self, episode: EpisodeInfo) -> None:
        self.grid = Grid(*episode.screen)
        self.contents = []
        self.calls = []
        self._pending = []
        self._instruction = episode.instruction

    def act(self, observation: Observation) -> Turn:
        if not self.contents:
            self.contents.append(types.Content(role="user", parts=[
                types.Part(text=self._instruction), _image(observation)]))
        else:
            self.contents.append(self._responses(observation))
        request = self.request()
        outcome = self.caller.generate(**request)
        response = outcome.response
        usage = self._usage(getattr(response, "usage_metadata", None))
        usage.calls, usage.retries, usage.retried_seconds = 1, outcome.retries, outcome.retried_seconds
        record = self._record(observation.step, outcome, usage, _images(request["contents"]))
        turn = self._turn(response, observation.step, usage)
        record["function_calls"] = len(self._pending)
        record["refused"] = sum(1 for c in self._pending if c.error is not None)
        record["safety"] = [c.safety.decision for c in self._pending if c.safety is not None]
        self.calls.append(record)
        turn.calls = [record]
        return turn

    # -- requests
    def config(self) -> types.GenerateContentConfig:
        o = self.options
        tools: list[Any] = [types.Tool(computer_use=types.ComputerUse(environment=ENVIRONMENTS[o.environment],
                                                           excluded_predefined_functions=list(o.exclude) or None))]
        custom = declarations(o.tools)
        if custom:
            tools.append(types.Tool(function_declarations=[types.FunctionDeclaration(**d) for d in custom]))
        return types.GenerateContentConfig(
            system_instruction=system_instruction(self.custom, o.system_suffix), tools=tools,
            max_output_tokens=o.max_output_tokens, temperature=o.temperature,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))

    def request(self) -> dict[str, Any]:
        """The keyword arguments of the next ``generate_content`` call, derived from the full history."""
        return {"model": self.options.model, "contents": prune_screenshots(self.contents,
                                                                            self.options.keep_screenshots),
                "config": self.config()}

    def _responses(self, observation: Observation) -> types.Content:
        """One function response per call of the previous turn, in order; the screen goes with the last."""
        results = iter(observation.tool_results)
        parts = []
        for index, call in enumerate(self._pending):
            mine = [next(results, None) for _ in call.actions]
            body = _response_body(call, mine)
            last = index == len(self._pending) - 1
            shot = [types.FunctionResponsePart(inline_data=types.FunctionResponseBlob(
                mime_type=observation.screenshot.media_type, data=observation.screenshot.data))] if last else None
            parts.append(types.Part(function_response=types.FunctionResponse(
                id=call.call_id, name=call.name, response=body, parts=shot)))
        self._pending = []
        if not parts:  # the previous turn asked for nothing (it would have ended the episode)
            parts = [types.Part(text="Continue."), _image(observation)]
        return types.Content(role="user", parts=parts)

    # -- responses
    def _turn(self, response: Any, step: int, usage: Usage) -> Turn:
        candidates = getattr(response, "candidates", None) or []
        if not candidates:
            feedback = getattr(response, "prompt_feedback", None)
            raise ModelStopped(f"no candidate in step {step} (prompt blocked: "
                               f"{getattr(feedback, 'block_reason', None) or 'no reason given'})")
        candidate = candidates[0]
        finish = _name(getattr(candidate, "finish_reason", None))
        content = candidate.content or types.Content(role="model", parts=[])
        parts = content.parts or []
        text = "\n".join(p.text for p in parts if p.text and not p.thought).strip()
        calls = [p.function_call for p in parts if p.function_call is not None]
        if not calls:
            if finish not in ("STOP", "FINISH_REASON_UNSPECIFIED", None):
                raise ModelStopped(f"finish_reason {finish}: the turn ended without an answer in step {step}")
            return Turn(control="FAIL" if is_infeasible(text) else "DONE", text=text, usage=usage)
        self.contents.append(content)
        self._pending = [self._confirmed(plan_call(c.name or "", c.args, self.grid, self.custom, c.id))
                         for c in calls]
        actions: list[ToolAction] = [a for c in self._pending for a in c.actions]
        notes = [f"[{c.name}] {c.intent}" for c in self._pending if c.intent]
        notes += [f"[safety: {c.safety.decision}] {c.safety.explanation}" for c in self._pending if c.safety]
        return Turn(actions=actions, text="\n".join([text, *notes]).strip(), usage=usage)

    def _confirmed(self, call: PlannedCall) -> PlannedCall:
        """A call that needs the user's confirmation keeps its actions only when the options give it."""
        if call.safety is None or not call.safety.needs_confirmation or call.error is not None:
            return call
        if self.options.safety_confirmation != "deny":
            return call
        message = NOT_CONFIRMED.format(explanation=call.safety.explanation or "no explanation given")
        return PlannedCall(call.name, call.call_id, error=message, safety=call.safety, intent=call.intent)

    # -- accounting
    def _usage(self, meta: Any) -> Usage:
        """Prompt tokens include the cached ones (billed at the cache rate); thinking bills as output."""
        prompt = int(getattr(meta, "prompt_token_count", 0) or 0)
        cached = int(getattr(meta, "cached_content_token_count", 0) or 0)
        tool_prompt = int(getattr(meta, "tool_use_prompt_token_count", 0) or 0)
        output = int(getattr(meta, "candidates_token_count", 0) or 0) + int(
            getattr(meta, "thoughts_token_count", 0) or 0)
        fresh = prompt - cached + tool_prompt
        return Usage(fresh, output, 0, cached, self.rates.cost(fresh, output, 0, cached))

    def _record(self, step: int, outcome: CallOutcome, usage: Usage, images_sent: int) -> dict[str, Any]:
        """What one call did, for ``steps.jsonl``: enough to find it in the provider's logs and to cost it."""
        candidates = getattr(outcome.response, "candidates", None) or []
        return {
            "step": step, "model": self.options.model, "request_id": outcome.request_id,
            # Gemini's finish reason under the field every agent's record uses (STOP, MAX_TOKENS, SAFETY...)
            "stop_reason": _name(getattr(candidates[0], "finish_reason", None)) if candidates else None,
            "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens, "cache_write_tokens": 0,
            "cache_read_tokens": usage.cache_read_tokens, "cost_usd": usage.cost_usd,
            "latency_s": round(outcome.latency, 4), "wall_s": round(outcome.wall, 4), "retries": outcome.retries,
            "retried_s": round(outcome.retried_seconds, 4), "attempts": [f.as_dict() for f in outcome.failed],
            "images_sent": images_sent,
        }

    @property
    def total_retries(self) -> int:
        return self.caller.total_retries


def _name(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "name", value))


def _image(observation: Observation) -> types.Part:
    shot = observation.screenshot
    return types.Part.from_bytes(data=shot.data, mime_type=shot.media_type)


def _response_body(call: PlannedCall, results: Sequence[ToolResult | None]) -> dict[str, Any]:
    """The ``response`` object of one function response: its error, or what its actions printed.

    A call that needed confirmation and ran without error is acknowledged, as the API requires; one the
    confirmation policy denied reaches the model as that error, unacknowledged.
    """
    if call.error is not None:
        return {"error": call.error}
    errors = [r.error for r in results if r is not None and r.error is not None]
    if any(r is None for r in results):
        errors.append("the action was not executed")
    body: dict[str, Any] = {"error": "; ".join(e for e in errors if e)} if errors else {"status": "ok"}
    output = "\n".join(r.output for r in results if r is not None and r.output)
    if output:
        body["output"] = output
    if not errors and call.safety is not None and call.safety.needs_confirmation:
        body["safety_acknowledgement"] = "true"
    return body


def _image_slots(contents: Sequence[types.Content]) -> Iterator[tuple[int, int]]:
    """(content, part) of every part that carries a screenshot, oldest first."""
    for c, content in enumerate(contents):
        for p, part in enumerate(content.parts or []):
            response = part.function_response
            if part.inline_data is not None or (response is not None and response.parts):
                yield c, p


def _images(contents: Sequence[types.Content]) -> int:
    return sum(1 for _ in _image_slots(contents))


def prune_screenshots(contents: Sequence[types.Content], keep: int | None) -> list[types.Content]:
    """A copy where all but the ``keep`` newest screenshots are left out (the history keeps them all)."""
    slots = list(_image_slots(contents))
    if keep is None or len(slots) <= keep:
        return list(contents)
    out = [c.model_copy(update={"parts": list(c.parts or [])}) for c in contents]
    for c, p in slots[:len(slots) - keep]:
        parts = out[c].parts
        assert parts is not None
        part = parts[p]
        if part.function_response is not None:
            parts[p] = part.model_copy(update={"function_response": part.function_response.model_copy(
                update={"parts": None})})
        else:
            parts[p] = types.Part(text="[older screenshot removed from the history to save tokens]")
    return out
