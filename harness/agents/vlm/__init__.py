"""Any OpenAI-compatible vision model as a deskbench agent: pyautogui or UI-TARS replies, parsed, never executed."""

from harness.agents.vlm.agent import VlmAgent
from harness.agents.vlm.options import VlmOptions
from harness.agents.vlm.parsed import ModelSpace, Parsed
from harness.agents.vlm.pyautogui_parse import parse_pyautogui
from harness.agents.vlm.uitars_parse import parse_uitars

__all__ = ["ModelSpace", "Parsed", "VlmAgent", "VlmOptions", "parse_pyautogui", "parse_uitars"]
