"""Tables (and later plots) from run results."""

from harness.report.tables import status_counts, success_table

__all__ = ["status_counts", "success_table"]
