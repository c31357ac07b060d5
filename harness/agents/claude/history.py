"""The conversation as sent: old screenshots pruned, cache breakpoints placed, assistant blocks echoed back.

The agent keeps the full history (every screenshot) and derives each request
from it, so pruning and caching are pure functions that tests can check
without a model: at most ``keep`` images survive, and at most four blocks
carry ``cache_control`` (the API's limit).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

Block = dict[str, Any]
Message = dict[str, Any]

MAX_CACHE_BREAKPOINTS = 4
EPHEMERAL = {"type": "ephemeral"}
PRUNED_SCREENSHOT = "[older screenshot removed from the history to save tokens]"


def _image_slots(messages: Sequence[Message]) -> list[tuple[int, int, int | None]]:
    """(message, block, nested block or None) of every image, oldest first."""
    slots: list[tuple[int, int, int | None]] = []
    for m, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for b, block in enumerate(content):
            if block.get("type") == "image":
                slots.append((m, b, None))
            elif block.get("type") == "tool_result" and isinstance(block.get("content"), list):
                slots.extend((m, b, n) for n, inner in enumerate(block["content"]) if inner.get("type") == "image")
    return slots


def count_images(messages: Sequence[Message]) -> int:
    return len(_image_slots(messages))


def prune_screenshots(messages: Sequence[Message], keep: int | None, chunk: int = 1) -> list[Message]:
    """A copy where all but the ``keep`` newest images are a text placeholder.

    With ``chunk`` > 1 images are dropped only in whole multiples of it, so up to
    ``keep + chunk - 1`` survive and the cached prefix changes once every ``chunk`` turns.
    """
    if keep is None:
        return list(messages)
    slots = _image_slots(messages)
    drop = max(0, len(slots) - keep)
    drop -= drop % max(1, chunk)
    if drop == 0:
        return list(messages)
    out = [copy.copy(m) for m in messages]
    touched: set[int] = set()
    for m, b, n in slots[:drop]:
        if m not in touched:
            out[m]["content"] = [dict(block) for block in out[m]["content"]]
            touched.add(m)
        placeholder = {"type": "text", "text": PRUNED_SCREENSHOT}
        if n is None:
            out[m]["content"][b] = placeholder
        else:
            inner = list(out[m]["content"][b]["content"])
            inner[n] = placeholder
            out[m]["content"][b]["content"] = inner
    return out


def with_cache_breakpoints(messages: Sequence[Message], user_turns: int = MAX_CACHE_BREAKPOINTS - 1) -> list[Message]:
    """A copy whose ``user_turns`` most recent user messages carry cache_control on their last block."""
    out = list(messages)
    marked = 0
    for m in range(len(out) - 1, -1, -1):
        if marked >= user_turns:
            break
        message = out[m]
        content = message.get("content")
        if message.get("role") != "user" or not isinstance(content, list) or not content:
            continue
        blocks = list(content)
        blocks[-1] = {**blocks[-1], "cache_control": dict(EPHEMERAL)}
        out[m] = {**message, "content": blocks}
        marked += 1
    return out


def system_blocks(text: str, cache: bool) -> list[Block]:
    block: Block = {"type": "text", "text": text}
    if cache:
        block["cache_control"] = dict(EPHEMERAL)
    return [block]


def count_cache_breakpoints(value: Any) -> int:
    """Blocks with cache_control anywhere in a request body (for checks and tests)."""
    if isinstance(value, dict):
        return int("cache_control" in value) + sum(count_cache_breakpoints(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_cache_breakpoints(v) for v in value)
    return 0


_SURROGATE = re.compile("[\ud800-\udfff]")


def sendable(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings replaced by U+FFFD (unchanged if there is none).

    A response can carry ``"\\ud800"`` in a tool input or text: JSON allows the escape, Python decodes it
    to a string that cannot be encoded as UTF-8, and the SDK would fail to send the next request that
    echoes it.  The tool call itself is refused (with a message) by the toolbox; the echo must survive.
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {sendable(k): sendable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sendable(v) for v in value]
    return value


def assistant_params(content: Sequence[Any]) -> list[Block]:
    """The response's content blocks as request params, exactly what the API needs echoed back.

    Thinking blocks keep their signature (the API checks it); tool_use keeps id, name and input only.
    Strings are made sendable (see ``sendable``).
    """
    params: list[Block] = []
    for block in content:
        data: dict[str, Any] = block.model_dump(mode="json", exclude_none=True) if hasattr(block, "model_dump") \
            else dict(block)
        kind = data.get("type")
        if kind == "text":
            if str(data.get("text") or "").strip():  # the API refuses empty and whitespace-only text blocks
                params.append({"type": "text", "text": data["text"]})
        elif kind == "tool_use":
            params.append({"type": "tool_use", "id": data["id"], "name": data["name"], "input": data.get("input", {})})
        elif kind == "thinking":
            params.append({"type": "thinking", "thinking": data.get("thinking", ""), "signature": data.get("signature", "")})
        elif kind == "redacted_thinking":
            params.append({"type": "redacted_thinking", "data": data["data"]})
        else:
            params.append(data)
    return [sendable(p) for p in params]
