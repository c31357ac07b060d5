"""Request checks of the real Messages API, with its error shapes and (close to) its messages.

Only what a computer-use agent can get wrong is checked, but that strictly:
tool types and the beta headers that unlock them, schema-less tool
definitions, tool_use/tool_result pairing, image blocks, cache breakpoints,
thinking rules.  An agent that passes here sends requests the real API takes.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.mockapi.models import SAMPLING, adaptive_only, is_retired
from harness.mockapi.tokens import image_size


class ApiError(Exception):
    """An error answer: HTTP status, the API's error type and message."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"type": "error", "error": {"type": self.kind, "message": self.message}}


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_request_error", message)


@dataclass(frozen=True)
class ToolType:
    name: str  # the fixed name the tool must be declared with
    beta: str | None  # the anthropic-beta value that unlocks it (None: generally available)
    params: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()


_DISPLAY = frozenset({"display_width_px", "display_height_px", "display_number"})
_DISPLAY_REQUIRED = frozenset({"display_width_px", "display_height_px"})
TOOL_TYPES: dict[str, ToolType] = {
    "computer_20241022": ToolType("computer", "computer-use-2024-10-22", _DISPLAY, _DISPLAY_REQUIRED),
    "computer_20250124": ToolType("computer", "computer-use-2025-01-24", _DISPLAY, _DISPLAY_REQUIRED),
    "computer_20251124": ToolType("computer", "computer-use-2025-11-24", _DISPLAY | {"enable_zoom"},
                                  _DISPLAY_REQUIRED),
    "bash_20241022": ToolType("bash", "computer-use-2024-10-22"),
    "bash_20250124": ToolType("bash", None),
    "text_editor_20241022": ToolType("str_replace_editor", "computer-use-2024-10-22"),
    "text_editor_20250124": ToolType("str_replace_editor", None),
    "text_editor_20250429": ToolType("str_replace_based_edit_tool", None),
    "text_editor_20250728": ToolType("str_replace_based_edit_tool", None, frozenset({"max_characters"})),
}
KNOWN_BETAS = frozenset({
    "computer-use-2024-10-22", "computer-use-2025-01-24", "computer-use-2025-11-24", "prompt-caching-2024-07-31",
    "token-efficient-tools-2025-02-19", "interleaved-thinking-2025-05-14", "output-128k-2025-02-19",
    "extended-cache-ttl-2025-04-11", "context-1m-2025-08-07", "fine-grained-tool-streaming-2025-05-14",
    "context-management-2025-06-27", "token-counting-2024-11-01", "files-api-2025-04-14",
    "code-execution-2025-05-22", "mcp-client-2025-04-04", "search-results-2025-06-09",
})
TOP_LEVEL = frozenset({
    "model", "max_tokens", "messages", "system", "tools", "tool_choice", "temperature", "top_p", "top_k",
    "thinking", "metadata", "stop_sequences", "stream", "service_tier", "container", "context_management",
    "mcp_servers",
})
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",), "image/gif": (b"GIF87a", b"GIF89a"),
          "image/webp": (b"RIFF",)}
USER_BLOCKS = ("text", "image", "tool_result", "document")
ASSISTANT_BLOCKS = ("text", "tool_use", "thinking", "redacted_thinking")
MAX_BREAKPOINTS = 4
MAX_IMAGE_SIDE = 8000
_TOOL_USE_ID = re.compile(r"^[a-zA-Z0-9_-]+$")


def check_headers(headers: Mapping[str, str]) -> list[str]:
    """Authentication, version and beta headers; returns the betas in force."""
    if not headers.get("x-api-key") and not headers.get("authorization"):
        raise ApiError(401, "authentication_error", "x-api-key header is required")
    if not headers.get("anthropic-version"):
        raise invalid("anthropic-version: header is required")
    betas = [b.strip() for b in (headers.get("anthropic-beta") or "").split(",") if b.strip()]
    unknown = [b for b in betas if b not in KNOWN_BETAS]
    if unknown:
        raise invalid(f"Unexpected value(s) `{', '.join(unknown)}` for the `anthropic-beta` header. Please consult "
                      "our documentation at docs.anthropic.com or try again without the header.")
    return betas


def check_request(body: Any, betas: list[str], signature_of: Any = None) -> None:
    """Raise ApiError (400, invalid_request_error) at the first problem, naming where it is."""
    if not isinstance(body, dict):
        raise invalid("request body must be a JSON object")
    for key in body:
        if key not in TOP_LEVEL:
            raise invalid(f"{key}: Extra inputs are not permitted")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("model: Field required")
    if not model.startswith("claude-") or is_retired(model):
        raise ApiError(404, "not_found_error", f"model: {model}")
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise invalid("max_tokens: Field required and must be a positive integer")
    if adaptive_only(model):
        for name in SAMPLING:
            if name in body:
                raise invalid(f"`{name}` is deprecated for this model.")
    if not isinstance(body.get("stream", False), bool):
        raise invalid("stream: Input should be a valid boolean")
    temperature = body.get("temperature")
    if temperature is not None and (not isinstance(temperature, int | float) or not 0 <= temperature <= 1):
        raise invalid("temperature: Input should be less than or equal to 1")
    thinking = _check_thinking(body, max_tokens, adaptive_only(model))
    _check_system(body.get("system"))
    _check_tools(body.get("tools"), betas)
    _check_messages(body.get("messages"), thinking, signature_of)
    found = _count_cache_control(body)
    if found > MAX_BREAKPOINTS:
        raise invalid(f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {found}.")


def _check_thinking(body: dict[str, Any], max_tokens: int, adaptive: bool) -> bool:
    thinking = body.get("thinking")
    if thinking is None or (isinstance(thinking, dict) and thinking.get("type") == "disabled"):
        return False
    if isinstance(thinking, dict) and thinking.get("type") == "adaptive":
        return True
    if not isinstance(thinking, dict) or thinking.get("type") != "enabled":
        raise invalid("thinking.type: Input should be 'enabled', 'adaptive' or 'disabled'")
    if adaptive:
        raise invalid('"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and '
                      '"output_config.effort" to control thinking behavior.')
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int) or budget < 1024:
        raise invalid("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
    if budget >= max_tokens:
        raise invalid("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation "
                      "at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context"
                      "-window-size")
    if body.get("temperature") not in (None, 1, 1.0):
        raise invalid("`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation "
                      "at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility")
    return True


def _check_system(system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise invalid("system: Input should be a valid string or list of text blocks")
    for i, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise invalid(f"system.{i}.type: Input should be 'text'")
        if not isinstance(block.get("text"), str) or not block["text"]:
            raise invalid("system: text content blocks must be non-empty")
        if not block["text"].strip():
            raise invalid("system: text content blocks must contain non-whitespace text")
        _check_cache_control(block, f"system.{i}")


def _check_tools(tools: Any, betas: list[str]) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise invalid("tools: Input should be a valid list")
    unlocked = sorted(t for t, spec in TOOL_TYPES.items() if spec.beta is None or spec.beta in betas)
    names: set[str] = set()
    for i, tool in enumerate(tools):
        where = f"tools.{i}"
        if not isinstance(tool, dict):
            raise invalid(f"{where}: Input should be a valid dictionary")
        kind = tool.get("type")
        if kind in (None, "custom"):
            _check_custom_tool(tool, where)
        else:
            spec = TOOL_TYPES.get(str(kind))
            if spec is None or (spec.beta is not None and spec.beta not in betas):
                expected = ", ".join(f"'{t}'" for t in ["custom", *unlocked])
                raise invalid(f"{where}: Input tag '{kind}' found using 'type' does not match any of the expected "
                              f"tags: {expected}")
            if tool.get("name") != spec.name:
                raise invalid(f"{where}.{kind}.name: Input should be '{spec.name}'")
            extra = sorted(set(tool) - {"type", "name", "cache_control"} - spec.params)
            if extra:
                raise invalid(f"{where}.{kind}.{extra[0]}: Extra inputs are not permitted")
            for param in sorted(spec.required):
                value = tool.get(param)
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise invalid(f"{where}.{kind}.{param}: Field required (a positive integer)")
        _check_cache_control(tool, where)
        name = str(tool.get("name"))
        if name in names:
            raise invalid(f"tools: Tool names must be unique. Found duplicate: {name}")
        names.add(name)


def _check_custom_tool(tool: dict[str, Any], where: str) -> None:
    if not isinstance(tool.get("name"), str) or not re.match(r"^[a-zA-Z0-9_-]{1,128}$", tool["name"]):
        raise invalid(f"{where}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'")
    if not isinstance(tool.get("input_schema"), dict):
        raise invalid(f"{where}.custom.input_schema: Field required")


def _check_cache_control(block: dict[str, Any], where: str) -> None:
    control = block.get("cache_control")
    if control is None:
        return
    if not isinstance(control, dict) or control.get("type") != "ephemeral" or control.get("ttl", "5m") not in (
            "5m", "1h"):
        raise invalid(f"{where}.cache_control: Input should be {{'type': 'ephemeral'}} with an optional ttl "
                      "'5m' or '1h'")


def _count_cache_control(value: Any) -> int:
    if isinstance(value, dict):
        return int(value.get("cache_control") is not None) + sum(_count_cache_control(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_cache_control(v) for v in value)
    return 0


def _check_messages(messages: Any, thinking: bool, signature_of: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise invalid("messages: at least one message is required")
    seen_ids: set[str] = set()
    for m, message in enumerate(messages):
        where = f"messages.{m}"
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise invalid(f"{where}.role: Input should be 'user' or 'assistant'")
        content = message.get("content")
        last = m == len(messages) - 1
        if isinstance(content, str):
            if not content and not (last and message["role"] == "assistant"):
                raise invalid(f"{where}: all messages must have non-empty content except for the optional final "
                              "assistant message")
            continue
        if not isinstance(content, list) or (not content and not (last and message["role"] == "assistant")):
            raise invalid(f"{where}: all messages must have non-empty content except for the optional final "
                          "assistant message")
        allowed = USER_BLOCKS if message["role"] == "user" else ASSISTANT_BLOCKS
        for b, block in enumerate(content):
            _check_block(block, f"{where}.content.{b}", allowed, seen_ids, signature_of)
    if messages[0].get("role") != "user":
        raise invalid("messages: first message must use the \"user\" role")
    _check_pairing(messages)
    if thinking:
        _check_thinking_turn(messages)


def _check_block(block: Any, where: str, allowed: tuple[str, ...], seen_ids: set[str], signature_of: Any) -> None:
    if not isinstance(block, dict):
        raise invalid(f"{where}: Input should be a valid dictionary")
    kind = block.get("type")
    if kind not in allowed:
        expected = ", ".join(f"'{t}'" for t in allowed)
        raise invalid(f"{where}: Input tag '{kind}' found using 'type' does not match any of the expected tags: "
                      f"{expected}")
    _check_cache_control(block, where)
    if kind == "text":
        if not isinstance(block.get("text"), str) or not block["text"]:
            raise invalid("messages: text content blocks must be non-empty")
        if not block["text"].strip():
            raise invalid(f"{where}: text content blocks must contain non-whitespace text")
    elif kind == "image":
        _check_image(block, where)
    elif kind == "tool_use":
        tool_id = block.get("id")
        if not isinstance(tool_id, str) or not _TOOL_USE_ID.match(tool_id):
            raise invalid(f"{where}.id: String should match pattern '^[a-zA-Z0-9_-]+$'")
        if tool_id in seen_ids:
            raise invalid(f"messages: `tool_use` ids must be unique. Found duplicate id: {tool_id}")
        seen_ids.add(tool_id)
        if not isinstance(block.get("name"), str) or not isinstance(block.get("input"), dict):
            raise invalid(f"{where}: tool_use blocks need a name and an input object")
    elif kind == "tool_result":
        if not isinstance(block.get("tool_use_id"), str):
            raise invalid(f"{where}.tool_use_id: Field required")
        if "is_error" in block and not isinstance(block["is_error"], bool):
            raise invalid(f"{where}.is_error: Input should be a valid boolean")
        content = block.get("content", "")
        if isinstance(content, list):
            for n, inner in enumerate(content):
                _check_block(inner, f"{where}.content.{n}", ("text", "image"), seen_ids, signature_of)
        elif not isinstance(content, str):
            raise invalid(f"{where}.content: Input should be a valid string or list")
    elif kind == "thinking":
        if not isinstance(block.get("thinking"), str) or not isinstance(block.get("signature"), str):
            raise invalid(f"{where}: thinking blocks need thinking and signature")
        if signature_of is not None and block["signature"] != signature_of(block["thinking"]):
            raise invalid(f"{where}: Invalid `signature` in `thinking` block")


def _check_image(block: dict[str, Any], where: str) -> None:
    source = block.get("source")
    if not isinstance(source, dict) or source.get("type") not in ("base64", "url"):
        raise invalid(f"{where}.source: Input tag '{(source or {}).get('type') if isinstance(source, dict) else None}'"
                      " found using 'type' does not match any of the expected tags: 'base64', 'url'")
    if source["type"] == "url":
        raise invalid(f"{where}.source.url: the deskbench mock server has no internet; send base64 images")
    media_type = source.get("media_type")
    if media_type not in IMAGE_TYPES:
        allowed = ", ".join(f"'{t}'" for t in IMAGE_TYPES[:-1]) + f" or '{IMAGE_TYPES[-1]}'"
        raise invalid(f"{where}.source.base64.media_type: Input should be {allowed}")
    data = source.get("data")
    if not isinstance(data, str) or not data:
        raise invalid(f"{where}.source.base64.data: Field required")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"{where}.source.base64.data: Invalid base64 data") from None
    if not raw.startswith(_MAGIC[str(media_type)]):
        raise invalid(f"{where}.source.base64.data: Image does not match the provided media type {media_type}")
    try:
        width, height = image_size(data)
    except ValueError:
        raise invalid(f"{where}.source.base64.data: Could not process image") from None
    if max(width, height) > MAX_IMAGE_SIDE:
        raise invalid(f"{where}.source.base64.data: At least one of the image dimensions exceed max allowed size: "
                      f"{MAX_IMAGE_SIDE} pixels")


def _ids(content: Any, kind: str, key: str) -> list[tuple[int, str]]:
    if not isinstance(content, list):
        return []
    return [(b, str(block.get(key))) for b, block in enumerate(content) if block.get("type") == kind]


def _check_pairing(messages: list[dict[str, Any]]) -> None:
    """Every tool_use answered by exactly one tool_result in the very next message, and nothing else."""
    for m, message in enumerate(messages):
        if message["role"] == "user":
            results = _ids(message.get("content"), "tool_result", "tool_use_id")
            previous = messages[m - 1] if m > 0 else None
            uses = {i for _, i in _ids(previous.get("content"), "tool_use", "id")} if previous and previous[
                "role"] == "assistant" else set()
            seen: set[str] = set()
            for b, tool_use_id in results:
                if tool_use_id not in uses:
                    raise invalid(f"messages.{m}.content.{b}: unexpected `tool_use_id` found in `tool_result` "
                                  f"blocks: {tool_use_id}. Each `tool_result` block must have a corresponding "
                                  "`tool_use` block in the previous message.")
                if tool_use_id in seen:
                    raise invalid(f"messages.{m}.content.{b}: each tool_use must have a single result. Found "
                                  f"multiple `tool_result` blocks with id: {tool_use_id}")
                seen.add(tool_use_id)
        else:
            uses_here = [i for _, i in _ids(message.get("content"), "tool_use", "id")]
            if not uses_here:
                continue
            following = messages[m + 1] if m + 1 < len(messages) else None
            answered = {i for _, i in _ids(following.get("content"), "tool_result", "tool_use_id")} if following \
                and following["role"] == "user" else set()
            missing = [i for i in uses_here if i not in answered]
            if missing:
                raise invalid(f"messages.{m + 1 if following else m}: `tool_use` ids were found without "
                              f"`tool_result` blocks immediately after: {', '.join(missing)}. Each `tool_use` "
                              "block must have a corresponding `tool_result` block in the next message.")


def _check_thinking_turn(messages: list[dict[str, Any]]) -> None:
    """With thinking on, the last assistant turn that called a tool must start with its thinking block."""
    for m in range(len(messages) - 1, -1, -1):
        message = messages[m]
        if message["role"] != "assistant":
            continue
        content = message.get("content")
        if isinstance(content, list) and content and any(b.get("type") == "tool_use" for b in content):
            first = content[0].get("type")
            if first not in ("thinking", "redacted_thinking"):
                raise invalid(f"messages.{m}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
                              f"`{first}`. When `thinking` is enabled, a final `assistant` message must start with "
                              "a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks).")
        return
