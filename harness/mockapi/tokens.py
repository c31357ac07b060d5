"""Token counts the way the real API roughly bills them, from the request alone.

Text costs about one token per four characters, an image about
width x height / 750, and each computer-use tool definition has a fixed
overhead (plus the computer-use system prompt the API adds when the
computer tool is present).  Counts are made per top-level block ("unit"), so
the prompt-cache simulation can price any prefix of a request.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
from dataclasses import dataclass
from typing import Any

from PIL import Image

#: Fixed input-token overheads per tool type prefix (published figures).
TOOL_OVERHEAD = {"computer_20241022": 683, "computer_20250124": 735, "computer_20251124": 735,
                 "text_editor": 700, "bash": 245}
#: The system prompt the API adds when a computer tool is declared.
COMPUTER_USE_SYSTEM_PROMPT = 466
#: tokens of every request that no cache covers (the end-of-prompt framing), as real responses show
REQUEST_FRAMING = 4
CHARS_PER_TOKEN = 4
PIXELS_PER_TOKEN = 750


@dataclass(frozen=True)
class Unit:
    """One top-level piece of a request in prompt order: a tool, a system block or a message block."""

    where: str  # e.g. "tools.0", "system.0", "messages.3.content.1"
    canonical: str  # the block as JSON without cache_control: what the cache compares
    tokens: int
    breakpoint: bool  # carries cache_control


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def image_size(data_b64: str) -> tuple[int, int]:
    """(width, height) of a base64 image; ValueError if it is not one."""
    try:
        raw = base64.b64decode(data_b64, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None
    try:
        with Image.open(io.BytesIO(raw)) as image:
            return image.size
    except Exception:  # PIL raises many kinds of errors for bad data
        raise ValueError("not a readable image") from None


def image_tokens(width: int, height: int) -> int:
    return math.ceil(width * height / PIXELS_PER_TOKEN)


def block_tokens(block: Any) -> int:
    """Tokens of one content block, nested tool_result content included."""
    if isinstance(block, str):
        return text_tokens(block)
    if not isinstance(block, dict):
        return 0
    kind = block.get("type")
    if kind == "text":
        return text_tokens(str(block.get("text", "")))
    if kind == "image":
        source = block.get("source", {})
        if source.get("type") == "base64":
            return image_tokens(*image_size(str(source.get("data", ""))))
        return 0
    if kind == "tool_use":
        return text_tokens(json.dumps(block.get("input", {}), separators=(",", ":"))) + text_tokens(
            str(block.get("name", "")))
    if kind == "tool_result":
        content = block.get("content", "")
        inner = [content] if isinstance(content, str) else content if isinstance(content, list) else []
        return 1 + sum(block_tokens(b) for b in inner)
    if kind == "thinking":
        return text_tokens(str(block.get("thinking", "")))
    return text_tokens(json.dumps(block))


def tool_tokens(tool: dict[str, Any]) -> int:
    kind = str(tool.get("type", ""))
    for prefix, tokens in TOOL_OVERHEAD.items():
        if kind.startswith(prefix):
            return tokens + (COMPUTER_USE_SYSTEM_PROMPT if kind.startswith("computer_") else 0)
    without = {k: v for k, v in tool.items() if k != "cache_control"}
    return text_tokens(json.dumps(without))  # a custom tool: its schema as text


def _canonical(value: Any) -> str:
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "cache_control"}
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def request_units(body: dict[str, Any]) -> list[Unit]:
    """The request as priced units in the order the API reads them: tools, system, messages."""
    units: list[Unit] = []
    for i, tool in enumerate(body.get("tools") or []):
        units.append(Unit(f"tools.{i}", _canonical(tool), tool_tokens(tool), "cache_control" in tool))
    system = body.get("system")
    blocks = [{"type": "text", "text": system}] if isinstance(system, str) else system or []
    for i, block in enumerate(blocks):
        units.append(Unit(f"system.{i}", _canonical(block), block_tokens(block), "cache_control" in block))
    for m, message in enumerate(body.get("messages") or []):
        content = message.get("content")
        items = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        for b, block in enumerate(items):
            marker = f"{m}:{message.get('role')}:"
            units.append(Unit(f"messages.{m}.content.{b}", marker + _canonical(block), block_tokens(block),
                              isinstance(block, dict) and "cache_control" in block))
    return units


def output_tokens(content: list[dict[str, Any]]) -> int:
    """Tokens the reply would take to generate (a tool call has a little framing on top of its input)."""
    return max(1, sum(block_tokens(b) + (10 if b.get("type") == "tool_use" else 0) for b in content))
