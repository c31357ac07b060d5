"""The action vocabulary agents and reference solutions speak."""

from harness.actions.vocabulary import (
    Action,
    BashAction,
    ComputerAction,
    Control,
    EditorAction,
    ToolAction,
    action_to_dict,
    parse_action,
)

__all__ = ["Action", "BashAction", "ComputerAction", "Control", "EditorAction", "ToolAction", "action_to_dict",
           "parse_action"]
