"""Request checks of the Gemini API's ``generateContent``, with Google's error shape and (close to) its messages.

Only what a computer-use agent can get wrong is checked, but strictly: the
model name, contents and their roles, one kind of data per part, inline
images, function responses answering the previous turn's calls one for one
and by name, the computer-use tool and function declarations, and the
generation config.  Field names are accepted in both spellings the API's
JSON mapping takes (``inlineData`` and ``inline_data``).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from harness.mockapi.tokens import image_size

#: Google's status name for each HTTP status the mock answers with
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                413: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE",
                503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED", 529: "UNAVAILABLE"}
#: model families the mock serves (a dated or versioned id of one matches it)
SERVED = ("gemini-2.5-computer-use-preview", "gemini-3-flash-preview", "gemini-3-pro-preview")
ENVIRONMENTS = ("ENVIRONMENT_BROWSER", "ENVIRONMENT_DESKTOP", "ENVIRONMENT_MOBILE")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
PART_DATA = ("text", "inlineData", "functionCall", "functionResponse", "fileData", "executableCode",
             "codeExecutionResult")
_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_.:-]{0,127}$")


class GoogleError(Exception):
    """An error answer in Google's shape: ``{"error": {"code", "message", "status"}}``."""

    def __init__(self, code: int, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


def invalid(message: str) -> GoogleError:
    return GoogleError(400, message)


def field(obj: dict[str, Any], camel: str) -> Any:
    """``obj[camel]``, or the same field spelt in snake_case."""
    if camel in obj:
        return obj[camel]
    return obj.get(re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel))


def served(model: str) -> bool:
    return any(model == f or model.startswith(f + "-") for f in SERVED)


def check_key(headers: dict[str, str], query: str) -> None:
    if not headers.get("x-goog-api-key") and "key=" not in query:
        raise GoogleError(403, "Method doesn't allow unregistered callers (callers without established identity). "
                               "Please use API Key or other form of API consumer identity to call this API.")


def check_model(model: str, version: str) -> None:
    if not served(model):
        raise GoogleError(404, f"models/{model} is not found for API version {version}, or is not supported for "
                               "generateContent. Call ListModels to see the list of available models and their "
                               "supported methods.")


def check_request(body: Any, model: str) -> None:
    """Raise GoogleError for the first thing the API would refuse."""
    if not isinstance(body, dict):
        raise invalid("Invalid JSON payload received. Expected an object.")
    declared = _check_tools(field(body, "tools"), model)
    _check_system(field(body, "systemInstruction"))
    _check_config(field(body, "generationConfig"))
    _check_contents(field(body, "contents"), declared)


def _check_tools(tools: Any, model: str) -> set[str]:
    """The names of the declared custom functions; the computer-use tool checked."""
    if tools is None:
        tools = []
    if not isinstance(tools, list):
        raise invalid("Invalid value at 'tools' (type.googleapis.com/google.ai.generativelanguage.v1beta.Tool)")
    names: set[str] = set()
    computer = False
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise invalid(f"Invalid value at 'tools[{i}]': expected an object")
        use = field(tool, "computerUse")
        if use is not None:
            computer = True
            env = field(use, "environment") if isinstance(use, dict) else None
            if env not in ENVIRONMENTS:
                raise invalid(f"Invalid value at 'tools[{i}].computer_use.environment' ({env!r}): expected one of "
                              f"{', '.join(ENVIRONMENTS)}")
            excluded = field(use, "excludedPredefinedFunctions") or []
            if not isinstance(excluded, list) or not all(isinstance(e, str) for e in excluded):
                raise invalid(f"Invalid value at 'tools[{i}].computer_use.excluded_predefined_functions': "
                              "expected a list of function names")
        for j, decl in enumerate(field(tool, "functionDeclarations") or []):
            name = decl.get("name") if isinstance(decl, dict) else None
            if not isinstance(name, str) or not _NAME.match(name):
                raise invalid(f"* GenerateContentRequest.tools[{i}].function_declarations[{j}].name: Invalid function "
                              "name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), "
                              "underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 128.")
            if name in names:
                raise invalid(f"* GenerateContentRequest.tools[{i}].function_declarations[{j}].name: Duplicate "
                              f"function declaration name {name}")
            names.add(name)
    if "computer-use" in model and not computer:
        raise invalid(f"Computer Use tool is required for model {model}: add a tool with computer_use")
    return names


def _check_system(system: Any) -> None:
    if system is None:
        return
    parts = field(system, "parts") if isinstance(system, dict) else None
    if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) and isinstance(p.get("text"), str)
                                                           for p in parts):
        raise invalid("* GenerateContentRequest.system_instruction: only text parts are supported")


def _check_config(config: Any) -> None:
    if config is None:
        return
    if not isinstance(config, dict):
        raise invalid("Invalid value at 'generation_config': expected an object")
    tokens = field(config, "maxOutputTokens")
    if tokens is not None and (not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 1):
        raise invalid("* GenerateContentRequest.generation_config.max_output_tokens: must be a positive integer")
    temperature = field(config, "temperature")
    if temperature is not None and (not isinstance(temperature, int | float) or not 0 <= temperature <= 2):
        raise invalid("* GenerateContentRequest.generation_config.temperature: must be in [0.0, 2.0]")


def _check_contents(contents: Any, declared: set[str]) -> None:
    if not isinstance(contents, list) or not contents:
        raise invalid("* GenerateContentRequest.contents: contents is not specified")
    calls_before: list[str] = []
    for c, content in enumerate(contents):
        where = f"GenerateContentRequest.contents[{c}]"
        if not isinstance(content, dict) or content.get("role") not in ("user", "model"):
            raise invalid(f"* {where}.role: Please use a valid role: user, model.")
        parts = content.get("parts")
        if not isinstance(parts, list) or not parts:
            raise invalid(f"* {where}.parts: contents.parts must not be empty.")
        for p, part in enumerate(parts):
            _check_part(part, f"{where}.parts[{p}]")
        responses = [field(field(p, "functionResponse"), "name") for p in parts if field(p, "functionResponse")]
        if content["role"] == "user":
            _check_answers(calls_before, responses, c)
            calls_before = []
        else:
            if responses:
                raise invalid(f"* {where}: function responses must come from the user role")
            calls_before = [str(field(field(p, "functionCall"), "name")) for p in parts if field(p, "functionCall")]
    if contents[0].get("role") != "user":
        raise invalid("Please ensure that multiturn requests alternate between user and model, starting with user.")
    if calls_before:
        raise invalid("Please ensure that function call turn comes immediately after a user turn or after a function "
                      "response turn.")


def _check_answers(calls: list[str], responses: list[Any], index: int) -> None:
    """The user turn after a turn of function calls answers every call, in order and by name."""
    if len(calls) != len(responses):
        raise invalid("Please ensure that the number of function response parts is equal to the number of function "
                      f"call parts of the function call turn (contents[{index}]: {len(responses)} responses for "
                      f"{len(calls)} calls).")
    for n, (call, answer) in enumerate(zip(calls, responses, strict=True)):
        if call != answer:
            raise invalid(f"* GenerateContentRequest.contents[{index}].parts[{n}].function_response.name: "
                          f"{answer!r} does not answer the function call {call!r} at the same position")


def _check_part(part: Any, where: str) -> None:
    if not isinstance(part, dict):
        raise invalid(f"* {where}: expected an object")
    kinds = [k for k in PART_DATA if field(part, k) is not None]
    if len(kinds) != 1:
        raise invalid(f"* {where}.data: a part must hold exactly one of text, inline_data, function_call, "
                      f"function_response (found {', '.join(kinds) or 'none'})")
    kind = kinds[0]
    if kind == "inlineData":
        _check_blob(field(part, "inlineData"), f"{where}.inline_data")
    elif kind == "functionCall":
        call = field(part, "functionCall")
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise invalid(f"* {where}.function_call.name: Name cannot be empty.")
    elif kind == "functionResponse":
        _check_response(field(part, "functionResponse"), f"{where}.function_response")
    elif kind == "text" and not isinstance(part["text"], str):
        raise invalid(f"* {where}.text: expected a string")


def _check_response(response: Any, where: str) -> None:
    if not isinstance(response, dict) or not isinstance(response.get("name"), str) or not response["name"]:
        raise invalid(f"* {where}.name: Name cannot be empty.")
    if "response" in response and not isinstance(response["response"], dict):
        raise invalid(f"* {where}.response: expected a JSON object")
    parts = response.get("parts") or []
    if not isinstance(parts, list):
        raise invalid(f"* {where}.parts: expected a list")
    for n, inner in enumerate(parts):
        blob = field(inner, "inlineData") if isinstance(inner, dict) else None
        if blob is None:
            raise invalid(f"* {where}.parts[{n}]: a function response part must hold inline_data")
        _check_blob(blob, f"{where}.parts[{n}].inline_data")


def _check_blob(blob: Any, where: str) -> None:
    if not isinstance(blob, dict):
        raise invalid(f"* {where}: expected an object")
    mime = field(blob, "mimeType")
    if mime not in IMAGE_TYPES:
        raise invalid(f"* {where}.mime_type: Unsupported MIME type: {mime}")
    data = blob.get("data")
    if not isinstance(data, str) or not data:
        raise invalid(f"* {where}.data: Required")
    try:
        image_size(base64.b64encode(decode_blob(data)).decode("ascii"))
    except (binascii.Error, ValueError):
        raise invalid(f"* {where}.data: Unable to process input image.") from None


def decode_blob(data: str) -> bytes:
    """Bytes of a blob's base64 text: the API takes the standard and the URL-safe alphabet (the SDK sends the latter)."""
    alphabet = "-_" if ("-" in data or "_" in data) else "+/"
    return base64.b64decode(data, altchars=alphabet.encode(), validate=True)
