"""The HTML trajectory viewer: a static site of one or more runs, to read what agents did turn by turn.

``build_site`` writes it; ``deskbench view`` is the command.  The site works
from ``file://`` with no server and loads nothing from the network.
"""

from harness.report.viewer.site import build_site

__all__ = ["build_site"]
