"""Differential testing of deskbench's checkers against OSWorld's reference implementation (``desktop-env``).

``reference`` loads OSWorld's metric functions; ``uses`` reads how the real
tasks call each metric; ``cases`` and the ``gen_*`` modules build inputs;
``runner`` scores each case with both and tallies agreement; ``allowlist``
holds the explained disagreements that remain.
"""
