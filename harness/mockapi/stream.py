"""A finished reply as the server-sent events the Messages API streams, so streaming clients run against the mock.

The events and their order are the documented ones: ``message_start``, then
per content block a start, its deltas and a stop, then ``message_delta``
(stop reason, final usage) and ``message_stop``.
"""

from __future__ import annotations

import json
from typing import Any

CHUNK = 64  # characters per text/thinking/JSON delta: several deltas per block, as a real stream has


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _pieces(text: str) -> list[str]:
    return [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]


def _block_events(index: int, block: dict[str, Any]) -> list[bytes]:
    kind = block.get("type")
    if kind == "text":
        start: dict[str, Any] = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in _pieces(str(block["text"]))]
    elif kind == "tool_use":
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in _pieces(json.dumps(block["input"]))]
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in _pieces(str(block["thinking"]))]
        deltas.append({"type": "signature_delta", "signature": str(block["signature"])})
    else:  # redacted_thinking and anything without deltas arrives whole
        start, deltas = dict(block), []
    return [_event("content_block_start", {"type": "content_block_start", "index": index, "content_block": start}),
            *(_event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
              for d in deltas),
            _event("content_block_stop", {"type": "content_block_stop", "index": index})]


def sse_body(message: dict[str, Any]) -> bytes:
    """The whole event stream of ``message`` (a Messages API response body)."""
    usage = dict(message["usage"])
    head = {**message, "content": [], "stop_reason": None, "stop_sequence": None, "usage": {**usage, "output_tokens": 1}}
    parts = [_event("message_start", {"type": "message_start", "message": head})]
    for index, block in enumerate(message["content"]):
        parts.extend(_block_events(index, block))
    parts.append(_event("message_delta", {"type": "message_delta", "usage": usage,
                                          "delta": {"stop_reason": message["stop_reason"],
                                                    "stop_sequence": message.get("stop_sequence")}}))
    parts.append(_event("message_stop", {"type": "message_stop"}))
    return b"".join(parts)
