"""Request checks of the Responses API as OpenAI documents it, with OpenAI's error shape.

Only what a computer-use agent can get wrong is checked, but strictly:
parameter names, the model, the ``computer_use_preview`` tool's display and
environment, function tool definitions, truncation ``auto`` with the
computer tool, input items and their images, and the pairing of every call
of the previous response (``previous_response_id``) with exactly one output,
including which safety checks an output acknowledges.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.mockapi.tokens import image_size
from harness.mockapi.validate import ApiError

SERVED_MODELS = ("computer-use-preview",)
ENVIRONMENTS = ("windows", "mac", "linux", "ubuntu", "browser")
PARAMETERS = frozenset({
    "model", "input", "instructions", "tools", "tool_choice", "truncation", "previous_response_id",
    "max_output_tokens", "reasoning", "store", "metadata", "parallel_tool_calls", "temperature", "top_p", "text",
    "include", "stream", "user", "service_tier", "background", "prompt_cache_key", "safety_identifier",
    "max_tool_calls", "top_logprobs",
})
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_DATA_URL = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,(.*)$", re.DOTALL)
OUTPUT_OF = {"computer_call_output": "computer_call", "function_call_output": "function_call"}
CALL_WORDS = {"computer_call": "computer call", "function_call": "function call"}


class OpenAIError(ApiError):
    """An error answer in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``."""

    def __init__(self, status: int, kind: str, message: str, param: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(status, kind, message)
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}


def invalid(message: str, param: str | None = None, code: str | None = None) -> OpenAIError:
    return OpenAIError(400, "invalid_request_error", message, param, code)


#: how an injected fault reads in OpenAI's words
_FAULTS: dict[int, tuple[str, str, str | None]] = {
    429: ("requests", "Rate limit reached for requests per min (RPM). Please try again in 1s.",
          "rate_limit_exceeded"),
    500: ("server_error", "The server had an error while processing your request. Sorry about that!", None),
    502: ("server_error", "Bad gateway.", None),
    503: ("server_error", "The server is overloaded or not ready yet.", None),
}


def as_openai(error: ApiError) -> OpenAIError:
    """An injected fault (made by :class:`harness.mockapi.faults.Faults`) in OpenAI's shape."""
    kind, message, code = _FAULTS.get(error.status, ("server_error", error.message, None))
    return OpenAIError(error.status, kind, message, None, code)


@dataclass
class PendingCall:
    """A call a response made that the next request must answer."""

    kind: str  # computer_call | function_call
    checks: frozenset[str] = frozenset()


@dataclass
class Answered:
    """What a request's input answered: safety checks acknowledged and those left unacknowledged."""

    acknowledged: list[str] = field(default_factory=list)
    unacknowledged: list[str] = field(default_factory=list)


def check_auth(headers: Mapping[str, str]) -> None:
    value = headers.get("authorization", "")
    if not value.startswith("Bearer ") or not value[7:].strip():
        raise OpenAIError(401, "invalid_request_error", "You didn't provide an API key. You need to provide your API "
                          "key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")


def check_request(body: Any) -> None:
    """Everything that does not depend on the stored conversation."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    for key in body:
        if key not in PARAMETERS:
            raise invalid(f"Unknown parameter: '{key}'.", key, "unknown_parameter")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("Missing required parameter: 'model'.", "model", "missing_required_parameter")
    if not any(model == m or model.startswith(m + "-") for m in SERVED_MODELS):
        raise OpenAIError(404, "invalid_request_error", f"The model `{model}` does not exist or you do not have "
                          "access to it.", "model", "model_not_found")
    if body.get("stream"):
        raise invalid("This local server does not stream responses; leave stream unset.", "stream")
    computer = _check_tools(body.get("tools", []))
    if not computer:
        raise invalid(f"The model {model} requires the computer_use_preview tool.", "tools")
    if body.get("truncation") != "auto":
        raise invalid("The computer_use_preview tool requires truncation to be set to 'auto'.", "truncation",
                      "invalid_value")
    if "instructions" in body and not isinstance(body["instructions"], str | None):
        raise invalid("Invalid type for 'instructions': expected a string.", "instructions", "invalid_type")
    previous = body.get("previous_response_id")
    if previous is not None and not isinstance(previous, str):
        raise invalid("Invalid type for 'previous_response_id': expected a string.", "previous_response_id",
                      "invalid_type")
    mot = body.get("max_output_tokens")
    if mot is not None and (not isinstance(mot, int) or isinstance(mot, bool) or mot < 16):
        raise invalid("Invalid 'max_output_tokens': integer below minimum value 16.", "max_output_tokens",
                      "integer_below_min_value")
    _check_reasoning(body.get("reasoning"))
    _check_input(body.get("input"))


def _check_reasoning(reasoning: Any) -> None:
    if reasoning is None:
        return
    if not isinstance(reasoning, dict):
        raise invalid("Invalid type for 'reasoning': expected an object.", "reasoning", "invalid_type")
    allowed = {"summary": ("auto", "concise", "detailed", None), "generate_summary": ("auto", "concise", "detailed",
                                                                                     None),
               "effort": ("minimal", "low", "medium", "high", None)}
    for key, value in reasoning.items():
        if key not in allowed:
            raise invalid(f"Unknown parameter: 'reasoning.{key}'.", f"reasoning.{key}", "unknown_parameter")
        if value not in allowed[key]:
            raise invalid(f"Invalid value: {value!r}. Supported values are: "
                          f"{', '.join(repr(v) for v in allowed[key] if v)}.", f"reasoning.{key}", "invalid_value")


def _check_tools(tools: Any) -> bool:
    if not isinstance(tools, list):
        raise invalid("Invalid type for 'tools': expected an array.", "tools", "invalid_type")
    computers = 0
    names: set[str] = set()
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind == "computer_use_preview":
            computers += 1
            _check_computer_tool(tool, where)
        elif kind == "function":
            name = _check_function_tool(tool, where)
            if name in names:
                raise invalid(f"Duplicate tool name: '{name}'.", f"{where}.name")
            names.add(name)
        else:
            raise invalid(f"Invalid value: {kind!r}. Supported values are: 'computer_use_preview' and 'function' "
                          "(on this local server).", f"{where}.type", "invalid_value")
    if computers > 1:
        raise invalid("Only one computer_use_preview tool may be given.", "tools")
    return computers == 1


def _check_computer_tool(tool: dict[str, Any], where: str) -> None:
    for key in tool:
        if key not in ("type", "display_width", "display_height", "environment"):
            raise invalid(f"Unknown parameter: '{where}.{key}'.", f"{where}.{key}", "unknown_parameter")
    for key in ("display_width", "display_height"):
        value = tool.get(key)
        if value is None:
            raise invalid(f"Missing required parameter: '{where}.{key}'.", f"{where}.{key}",
                          "missing_required_parameter")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise invalid(f"Invalid '{where}.{key}': expected a positive integer.", f"{where}.{key}",
                          "invalid_value")
    if tool.get("environment") not in ENVIRONMENTS:
        raise invalid(f"Invalid value: {tool.get('environment')!r}. Supported values are: "
                      f"{', '.join(repr(e) for e in ENVIRONMENTS)}.", f"{where}.environment", "invalid_value")


def _check_function_tool(tool: dict[str, Any], where: str) -> str:
    for key in tool:
        if key not in ("type", "name", "description", "parameters", "strict"):
            raise invalid(f"Unknown parameter: '{where}.{key}'.", f"{where}.{key}", "unknown_parameter")
    name = tool.get("name")
    if not isinstance(name, str) or not _FUNCTION_NAME.match(name):
        raise invalid(f"Invalid '{where}.name': string does not match pattern '^[a-zA-Z0-9_-]+$' (1 to 64 "
                      "characters).", f"{where}.name", "invalid_value")
    params = tool.get("parameters")
    if not isinstance(params, dict) or params.get("type") != "object":
        raise invalid(f"Invalid schema for function '{name}': schema must be a JSON Schema of 'type: \"object\"'.",
                      f"{where}.parameters", "invalid_function_parameters")
    if "strict" in tool and not isinstance(tool["strict"], bool):
        raise invalid(f"Invalid type for '{where}.strict': expected a boolean.", f"{where}.strict", "invalid_type")
    return name


def _check_input(items: Any) -> None:
    if isinstance(items, str):
        return
    if not isinstance(items, list) or not items:
        raise invalid("Invalid 'input': expected a string or a non-empty array of input items.", "input")
    for i, item in enumerate(items):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            raise invalid(f"Invalid type for '{where}': expected an object.", where, "invalid_type")
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            _check_message(item, where)
        elif kind in OUTPUT_OF:
            _check_output(item, str(kind), where)
        else:
            raise invalid(f"Invalid value: {kind!r} for '{where}.type'. This local server keeps conversation state "
                          "through previous_response_id: send messages and call outputs only.", f"{where}.type",
                          "invalid_value")


def _check_message(item: dict[str, Any], where: str) -> None:
    if item.get("role") not in ("user", "system", "developer", "assistant"):
        raise invalid(f"Invalid value: {item.get('role')!r}. Supported values are: 'user', 'system', 'developer' "
                      "and 'assistant'.", f"{where}.role", "invalid_value")
    content = item.get("content")
    if isinstance(content, str):
        return
    if not isinstance(content, list) or not content:
        raise invalid(f"Invalid '{where}.content': expected a string or a non-empty array.", f"{where}.content")
    for j, part in enumerate(content):
        at = f"{where}.content[{j}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "input_text":
            if not isinstance(part.get("text"), str):
                raise invalid(f"Missing required parameter: '{at}.text'.", f"{at}.text", "missing_required_parameter")
        elif kind == "input_image":
            if part.get("detail", "auto") not in ("low", "high", "auto"):
                raise invalid(f"Invalid value: {part.get('detail')!r}. Supported values are: 'low', 'high' and "
                              "'auto'.", f"{at}.detail", "invalid_value")
            check_image_url(part.get("image_url"), f"{at}.image_url")
        else:
            raise invalid(f"Invalid value: {kind!r}. Supported values are: 'input_text', 'input_image' and "
                          "'input_file'.", f"{at}.type", "invalid_value")


def _check_output(item: dict[str, Any], kind: str, where: str) -> None:
    if not isinstance(item.get("call_id"), str) or not item["call_id"]:
        raise invalid(f"Missing required parameter: '{where}.call_id'.", f"{where}.call_id",
                      "missing_required_parameter")
    if kind == "function_call_output":
        if not isinstance(item.get("output"), str | list):
            raise invalid(f"Missing required parameter: '{where}.output'.", f"{where}.output",
                          "missing_required_parameter")
        return
    output = item.get("output")
    if not isinstance(output, dict) or output.get("type") != "computer_screenshot":
        raise invalid(f"Invalid '{where}.output': expected an object of type 'computer_screenshot'.",
                      f"{where}.output", "invalid_value")
    check_image_url(output.get("image_url"), f"{where}.output.image_url")
    checks = item.get("acknowledged_safety_checks")
    if checks is not None and (not isinstance(checks, list) or not all(
            isinstance(c, dict) and isinstance(c.get("id"), str) for c in checks)):
        raise invalid(f"Invalid '{where}.acknowledged_safety_checks': expected an array of objects with an id.",
                      f"{where}.acknowledged_safety_checks", "invalid_value")


def check_image_url(url: Any, where: str) -> tuple[int, int]:
    """The image's size; 400 unless it is a base64 data URL of a readable image (no internet here)."""
    match = _DATA_URL.match(url) if isinstance(url, str) else None
    if match is None:
        raise invalid(f"Invalid '{where}': expected a base64-encoded data URL of an image (data:image/png;base64,...)"
                      "; this local server fetches no URLs.", where, "invalid_image_url")
    try:
        return image_size(match.group(2))
    except ValueError as exc:
        raise invalid(f"Invalid image data in '{where}': {exc}.", where, "invalid_image") from None


def check_answers(items: Any, pending: Mapping[str, PendingCall]) -> Answered:
    """Every pending call answered exactly once by an output of its kind; acknowledged checks must be pending."""
    answered = Answered()
    seen: set[str] = set()
    for i, item in enumerate(items if isinstance(items, list) else []):
        kind = item.get("type")
        if kind not in OUTPUT_OF:
            continue
        call_id = str(item["call_id"])
        call = pending.get(call_id)
        if call is None or call.kind != OUTPUT_OF[kind]:
            raise invalid(f"No tool call found for {CALL_WORDS[OUTPUT_OF[kind]]} output with call_id {call_id}.",
                          f"input[{i}].call_id")
        if call_id in seen:
            raise invalid(f"Duplicate output for call_id {call_id}.", f"input[{i}].call_id")
        seen.add(call_id)
        acked = [str(c["id"]) for c in item.get("acknowledged_safety_checks") or []]
        for check in acked:
            if check not in call.checks:
                raise invalid(f"Unknown safety check id {check} for call_id {call_id}.",
                              f"input[{i}].acknowledged_safety_checks")
        answered.acknowledged.extend(acked)
        answered.unacknowledged.extend(sorted(call.checks - set(acked)))
    for call_id, call in pending.items():
        if call_id not in seen:
            raise invalid(f"No tool output found for {CALL_WORDS[call.kind]} {call_id}.", "input")
    return answered
