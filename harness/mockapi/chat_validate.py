"""Request checks of an OpenAI-compatible ``/v1/chat/completions`` endpoint, with its error shapes.

What a vision agent can get wrong is checked strictly, as OpenAI's API
and vLLM's server document it: the served model's name, message roles and
content parts, images as base64 data URLs that decode to images, sampling
ranges, and the model's context length (prompt plus ``max_tokens``), which
vLLM refuses with a 400 before generating anything.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.mockapi.openai_validate import OpenAIError
from harness.mockapi.tokens import image_size, text_tokens

ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
#: request fields OpenAI documents (and vLLM accepts); anything else is refused as OpenAI does
KNOWN_FIELDS = frozenset({
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "n", "stop", "stream",
    "stream_options", "seed", "frequency_penalty", "presence_penalty", "logprobs", "top_logprobs", "user",
    "response_format", "tools", "tool_choice", "parallel_tool_calls", "logit_bias", "metadata", "store",
    "top_k", "min_p", "repetition_penalty",
})
_DATA_URL = re.compile(r"^data:image/(png|jpeg|jpg|webp|gif);base64,([A-Za-z0-9+/=\s]+)$")
#: tokens each message costs on top of its content (role and separators of the chat template)
MESSAGE_FRAMING = 4
#: pixels per side of one image token in Qwen2-VL-style encoders (14 px patches merged 2x2), which UI-TARS uses
VISION_TOKEN_PX = 28


def vision_tokens(width: int, height: int) -> int:
    """Image tokens as Qwen2-VL-family servers count them: one per 28x28 cell, plus the start and end markers."""
    return math.ceil(width / VISION_TOKEN_PX) * math.ceil(height / VISION_TOKEN_PX) + 2


def chat_error(status: int, message: str, kind: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> OpenAIError:
    """An error answer in OpenAI's shape (vLLM's server answers the same), message first."""
    return OpenAIError(status, kind, message, param, code)


def check_auth(headers: Mapping[str, str], api_key: str | None) -> None:
    """A bearer token is always sent by the SDK; a server started with a key checks it (vLLM's --api-key)."""
    auth = headers.get("authorization", "")
    if not auth.startswith("Bearer "):
        raise chat_error(401, "Missing bearer authentication in header", code="invalid_api_key")
    if api_key is not None and auth.removeprefix("Bearer ") != api_key:
        raise chat_error(401, "Incorrect API key provided", code="invalid_api_key")


def check_chat_request(body: Any, models: Sequence[str], max_model_len: int) -> int:
    """Validate one request; returns its prompt tokens.  ApiError (400/404) says what and where."""
    if not isinstance(body, dict):
        raise chat_error(400, "The request body must be a JSON object")
    unknown = sorted(set(body) - KNOWN_FIELDS)
    if unknown:
        raise chat_error(400, f"Unrecognized request argument supplied: {unknown[0]}", param=unknown[0])
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise chat_error(400, "you must provide a model parameter", param="model")
    if model not in models:
        raise chat_error(404, f"The model `{model}` does not exist.", kind="NotFoundError", param="model",
                         code="model_not_found")
    _check_sampling(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise chat_error(400, "messages must be a non-empty array", param="messages")
    prompt = sum(_message_tokens(m, i) for i, m in enumerate(messages))
    wanted = body.get("max_completion_tokens", body.get("max_tokens")) or 0
    if prompt + int(wanted) > max_model_len:
        raise chat_error(400, f"This model's maximum context length is {max_model_len} tokens. However, you "
                              f"requested {prompt + int(wanted)} tokens ({prompt} in the messages, {wanted} in the "
                              "completion). Please reduce the length of the messages or completion.",
                         param="messages")
    return prompt


def _check_sampling(body: dict[str, Any]) -> None:
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise chat_error(400, f"{name} must be a positive integer, got {value!r}", param=name)
    ranges = {"temperature": (0.0, 2.0), "top_p": (0.0, 1.0), "frequency_penalty": (-2.0, 2.0),
              "presence_penalty": (-2.0, 2.0)}
    for name, (low, high) in ranges.items():
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not low <= value <= high):
            raise chat_error(400, f"{name} must be a number from {low:g} to {high:g}, got {value!r}", param=name)
    if body.get("n", 1) != 1:
        raise chat_error(400, "this server answers one choice per request (n=1)", param="n")
    if body.get("stream"):
        raise chat_error(400, "the deskbench mock does not stream: send stream=false", param="stream")


def _message_tokens(message: Any, index: int) -> int:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        raise chat_error(400, f"{where} must be an object", param=where)
    role = message.get("role")
    if role not in ROLES:
        raise chat_error(400, f"{where}.role must be one of {', '.join(sorted(ROLES))}, got {role!r}",
                         param=f"{where}.role")
    extra = sorted(set(message) - {"role", "content", "name", "tool_calls", "tool_call_id"})
    if extra:
        raise chat_error(400, f"{where}: unknown field {extra[0]!r}", param=f"{where}.{extra[0]}")
    content = message.get("content")
    if content is None and role == "assistant" and message.get("tool_calls"):
        return MESSAGE_FRAMING
    if isinstance(content, str):
        return MESSAGE_FRAMING + text_tokens(content)
    if not isinstance(content, list) or not content:
        raise chat_error(400, f"{where}.content must be a string or a non-empty array of parts",
                         param=f"{where}.content")
    return MESSAGE_FRAMING + sum(_part_tokens(p, f"{where}.content[{i}]", str(role)) for i, p in enumerate(content))


def _part_tokens(part: Any, where: str, role: str) -> int:
    if not isinstance(part, dict):
        raise chat_error(400, f"{where} must be an object", param=where)
    kind = part.get("type")
    if kind == "text":
        if not isinstance(part.get("text"), str) or set(part) != {"type", "text"}:
            raise chat_error(400, f"{where}: a text part is {{'type': 'text', 'text': str}}", param=where)
        return text_tokens(part["text"])
    if kind != "image_url":
        raise chat_error(400, f"{where}.type must be 'text' or 'image_url', got {kind!r}", param=f"{where}.type")
    if role != "user":
        raise chat_error(400, f"{where}: image parts are only allowed in user messages, not {role}", param=where)
    image = part.get("image_url")
    if set(part) != {"type", "image_url"} or not isinstance(image, dict) or not isinstance(image.get("url"), str):
        raise chat_error(400, f"{where}: an image part is {{'type': 'image_url', 'image_url': {{'url': ...}}}}",
                         param=where)
    if image.get("detail", "auto") not in ("auto", "low", "high") or set(image) - {"url", "detail"}:
        raise chat_error(400, f"{where}.image_url: detail must be auto, low or high", param=where)
    found = _DATA_URL.match(image["url"])
    if found is None:
        raise chat_error(400, f"{where}.image_url.url must be a base64 data URL (data:image/png;base64,...): this "
                              "server has no network to fetch images from", param=where)
    try:
        width, height = image_size(found.group(2))
    except ValueError as exc:
        raise chat_error(400, f"{where}.image_url: the image is {exc}", param=where) from None
    return vision_tokens(width, height)


def last_image_size(messages: list[dict[str, Any]]) -> tuple[int, int] | None:
    """(width, height) of the last image the request sent (the screenshot the reply's coordinates refer to)."""
    for message in reversed(messages):
        content = message.get("content")
        for part in reversed(content if isinstance(content, list) else []):
            if isinstance(part, dict) and part.get("type") == "image_url":
                found = _DATA_URL.match(str(part["image_url"]["url"]))
                if found:
                    return image_size(found.group(2))
    return None
