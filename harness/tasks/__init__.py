"""Task definitions: the schema and the loaders."""

from harness.tasks.loader import load_task_file, load_tasks
from harness.tasks.schema import Evaluator, Getter, SetupStep, Task

__all__ = ["Evaluator", "Getter", "SetupStep", "Task", "load_task_file", "load_tasks"]
