"""Claude as a deskbench agent: tool versions, scaling, prompt, history, API calls with retries."""

from harness.agents.claude.agent import ClaudeAgent
from harness.agents.claude.api import ModelRequestRejected
from harness.agents.claude.options import ClaudeOptions
from harness.agents.claude.scaling import Scaling, choose_scaling
from harness.agents.claude.versions import TOOLSETS, Toolset, toolset_for_model

__all__ = ["TOOLSETS", "ClaudeAgent", "ClaudeOptions", "ModelRequestRejected", "Scaling", "Toolset",
           "choose_scaling", "toolset_for_model"]
