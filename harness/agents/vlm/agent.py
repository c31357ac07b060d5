"""The ``vlm`` agent: an open-weights vision model behind any OpenAI-compatible chat-completions endpoint.

One step is one call.  The model sees the task and a screenshot and answers
in one of two formats, OSWorld's pyautogui code or UI-TARS's action grammar;
the reply is parsed (never executed) into deskbench actions that the runner
carries out through the guest like any other agent's.  A reply that cannot
run costs the step and comes back to the model in the next message with the
reason, as does an action the desktop refused.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai

from harness.agents.base import Agent, EpisodeInfo, Observation, Turn, Usage
from harness.agents.claude.scaling import Scaling, resize_screenshot
from harness.agents.pricing import Rates, rates_for
from harness.agents.retry import CallOutcome
from harness.agents.vlm.chat import ChatCaller
from harness.agents.vlm.options import API_KEY_ENV, BASE_URL_ENV, VlmOptions
from harness.agents.vlm.parsed import ModelSpace, Parsed
from harness.agents.vlm.prompts import first_turn, next_turn, system_prompt
from harness.agents.vlm.pyautogui_parse import parse_pyautogui
from harness.agents.vlm.uitars_parse import parse_uitars
from harness.errors import ConfigError
from harness.sandbox.guest import Screenshot
from harness.tools.result import ToolResult

UITARS_GRID = (1000, 1000)
PATCH = 28  # pixels per image token side in Qwen2.5-VL-family models (UI-TARS-1.5's absolute points)
NO_KEY = "EMPTY"  # what vLLM's own examples send to a server started without --api-key
LIST_TIMEOUT = 5.0  # seconds to wait for the server's model list when the agent is made
_CHECKED: set[tuple[str, str]] = set()  # (base URL, model) already checked against the server's list


def patch_aligned(size: tuple[int, int], factor: int = PATCH) -> tuple[int, int]:
    """``size`` with each side rounded to a multiple of ``factor`` (at least one), as Qwen2.5-VL servers resize."""
    return max(factor, round(size[0] / factor) * factor), max(factor, round(size[1] / factor) * factor)


@dataclass(frozen=True)
class _Exchange:
    """One past step as the model saw and answered it."""

    text: str
    image_url: str
    reply: str


class VlmAgent(Agent):
    """A vision model over chat completions; options as in ``VlmOptions`` (``model``, ``base_url``, ``format``...)."""

    name = "vlm"

    def __init__(self, model: str | None = None, *, client: openai.OpenAI | None = None,
                 sleep: Callable[[float], None] | None = None, **options: Any) -> None:
        if model is not None:
            options["model"] = model
        self.options = VlmOptions.parse(options)
        self.rates: Rates = rates_for(self.options.model, self.options.pricing, self.options.price)
        self.client = client if client is not None else self._make_client()
        self._check_served()
        policy = self.options.retry_policy()
        self.caller = ChatCaller(self.client, policy, sleep=sleep or time.sleep)
        self.calls: list[dict[str, Any]] = []
        self.history: list[_Exchange] = []
        self.space = self._space((1280, 800))
        self.system = ""
        self._instruction = ""
        self._refusal: str | None = None
        self._last: Parsed = Parsed()

    @classmethod
    def from_options(cls, **options: Any) -> VlmAgent:
        """The registry's factory: an AgentSpec's typed option values (or strings, converted alike)."""
        return cls(**options)

    def _make_client(self) -> openai.OpenAI:
        base_url = self.options.base_url or os.environ.get(BASE_URL_ENV)
        if not base_url:
            raise ConfigError(f"the vlm agent needs its server's address: --agent-option base_url=http://HOST:PORT/v1 "
                              f"or ${BASE_URL_ENV}")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"vlm agent option base_url must start with http:// or https://, got {base_url!r}")
        key = self.options.api_key or os.environ.get(API_KEY_ENV) or NO_KEY
        return openai.OpenAI(api_key=key, base_url=base_url, max_retries=0, timeout=self.options.request_timeout)

    def _check_served(self) -> None:
        """A model the server does not serve is refused now, naming the ones it does, not as a 404 mid-run.

        Asked once per process and server; a server that cannot be reached or lists nothing is not judged
        here (its first call will be, with retries and blame).
        """
        key = (str(self.client.base_url), self.options.model)
        if key in _CHECKED:
            return
        try:
            served = tuple(str(m.id) for m in self.client.with_options(timeout=LIST_TIMEOUT, max_retries=0).models.list())
        except (openai.OpenAIError, ValueError, TypeError):
            served = ()
        if served and self.options.model not in served:
            raise ConfigError(f"the server at {self.client.base_url} does not serve model {self.options.model!r}; "
                              f"it serves {', '.join(served)}")
        _CHECKED.add(key)  # only a pass or no answer is remembered: a refusal is asked again next time

    def model_name(self) -> str:
        return self.options.model

    def _space(self, screen: tuple[int, int]) -> ModelSpace:
        if self._relative:
            return ModelSpace(Scaling(screen, UITARS_GRID), inclusive=True)
        return ModelSpace(Scaling(screen, self._image_for(screen)))

    @property
    def _relative(self) -> bool:
        return self.options.format == "uitars" and self.options.coordinates == "relative"

    def _image_for(self, screen: tuple[int, int]) -> tuple[int, int]:
        size = self.options.image_size or screen
        if self.options.format == "uitars":  # sides Qwen2.5-VL servers keep as sent (what absolute points need)
            return patch_aligned(size)
        return size

    @property
    def image_size(self) -> tuple[int, int]:
        """The size screenshots are sent at (on the 0-1000 grid the points do not depend on it)."""
        return self._image_for(self.space.scaling.screen)

    # -- the Agent interface
    def start(self, episode: EpisodeInfo) -> None:
        self.space = self._space(episode.screen)
        self.system = system_prompt(self.options.format, self.image_size, self.options.wait_seconds,
                                    self.options.system_suffix, relative=self._relative)
        self.history, self.calls = [], []
        self._instruction = episode.instruction
        self._refusal, self._last = None, Parsed()

    def act(self, observation: Observation) -> Turn:
        text = (first_turn(self._instruction) if not self.history and not self.calls
                else next_turn(self._problems(observation.tool_results)))
        image_url = self._image_url(observation.screenshot)
        request = self.request(text, image_url)
        outcome = self.caller.create(**request)
        reply, finish = _reply(outcome.response)
        usage = self._usage(outcome)
        self.history.append(_Exchange(text, image_url, reply))
        parsed = self._parse(reply)
        if finish == "length" and parsed.error is not None:
            parsed = Parsed(error=f"your reply was cut off at max_tokens={self.options.max_tokens}: answer shorter "
                                  f"({parsed.error})")
        self._refusal, self._last = parsed.error, parsed
        record = self._record(observation.step, outcome, usage, finish, parsed)
        self.calls.append(record)
        return Turn(actions=list(parsed.actions), control=parsed.control, text=reply, usage=usage, calls=[record])

    # -- requests
    def request(self, text: str, image_url: str) -> dict[str, Any]:
        """The keyword arguments of the next ``chat.completions.create`` call: system, kept history, this turn."""
        o = self.options
        messages: list[dict[str, Any]] = [{"role": "system", "content": self.system}]
        with_images = len(self.history) - o.history
        for index, past in enumerate(self.history):
            messages.append(_user(past.text, past.image_url if index >= with_images else None))
            messages.append({"role": "assistant", "content": past.reply})
        messages.append(_user(text, image_url))
        request: dict[str, Any] = {"model": o.model, "messages": messages, "max_tokens": o.max_tokens}
        if o.temperature is not None:
            request["temperature"] = o.temperature
        if o.top_p is not None:
            request["top_p"] = o.top_p
        return request

    def _image_url(self, shot: Screenshot) -> str:
        sent = resize_screenshot(shot, self.image_size)
        return f"data:{sent.media_type};base64,{base64.b64encode(sent.data).decode('ascii')}"

    def _parse(self, reply: str) -> Parsed:
        if not reply.strip():
            return Parsed(error="your reply was empty")
        if self.options.format == "uitars":
            return parse_uitars(reply, self.space, wait_seconds=self.options.wait_seconds,
                                scroll_amount=self.options.scroll_amount)
        return parse_pyautogui(reply, self.space)

    def _problems(self, results: list[ToolResult]) -> list[str]:
        """What the model should hear about its last step: the refusal, or each action that failed."""
        if self._refusal is not None:
            return [f"nothing was done: {self._refusal}"]
        problems = []
        for index, (action, result) in enumerate(zip(self._last.actions, results, strict=False)):
            if result.error is not None:
                problems.append(f"action {index + 1} ({action.action}) failed: {result.error}")
        return problems

    # -- accounting
    def _usage(self, outcome: CallOutcome) -> Usage:
        usage = getattr(outcome.response, "usage", None)
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        output = int(getattr(usage, "completion_tokens", 0) or 0)
        details = getattr(usage, "prompt_tokens_details", None)
        cached = min(prompt, int(getattr(details, "cached_tokens", 0) or 0))
        return Usage(prompt - cached, output, 0, cached, self.rates.cost(prompt - cached, output, 0, cached),
                     calls=1, retries=outcome.retries, retried_seconds=outcome.retried_seconds)

    def _record(self, step: int, outcome: CallOutcome, usage: Usage, finish: str | None,
                parsed: Parsed) -> dict[str, Any]:
        """What one call did, for ``steps.jsonl``: enough to find it in the server's logs and to cost it."""
        return {
            "step": step, "model": self.options.model, "format": self.options.format,
            "request_id": outcome.request_id, "finish_reason": finish,
            "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens, "cost_usd": usage.cost_usd,
            "latency_s": round(outcome.latency, 4), "wall_s": round(outcome.wall, 4), "retries": outcome.retries,
            "retried_s": round(outcome.retried_seconds, 4), "attempts": [f.as_dict() for f in outcome.failed],
            "actions": len(parsed.actions), "control": parsed.control, "refused": parsed.error,
        }

    @property
    def total_retries(self) -> int:
        return self.caller.total_retries


def _user(text: str, image_url: str | None) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    if image_url is not None:
        content.append({"type": "image_url", "image_url": {"url": image_url}})
    return {"role": "user", "content": content}


def _reply(response: Any) -> tuple[str, str | None]:
    """The first choice's text and finish reason (an empty text when the server sent none)."""
    choices = getattr(response, "choices", None) or []
    if not choices:
        return "", None
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    return (content if isinstance(content, str) else ""), getattr(choices[0], "finish_reason", None)
