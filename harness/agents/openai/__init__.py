"""OpenAI's computer-use model as a deskbench agent: display scaling, call translation, Responses API calls."""

from harness.agents.openai.agent import OpenAIAgent
from harness.agents.openai.options import OpenAIOptions
from harness.agents.openai.scaling import choose_display

__all__ = ["OpenAIAgent", "OpenAIOptions", "choose_display"]
