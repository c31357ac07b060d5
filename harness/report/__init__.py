"""Tables, comparisons and exports of finished runs, as pure functions of the ``load_results`` DataFrame.

These names are the public interface (the notebook and the CLI use them):
``success_table``, ``pass_k_table``, ``latency_table``, ``cost_table``,
``status_table``, ``compare_runs``, ``wilson_interval``, ``mcnemar_test`` and
``to_dataset``.
"""

from harness.report.compare import Comparison, compare_runs
from harness.report.export import to_dataset, write_parquet
from harness.report.resources import cost_table, latency_table
from harness.report.runs import load_runs
from harness.report.safety import injection_followed_table
from harness.report.stats import (
    McNemar,
    mcnemar_test,
    paired_difference_interval,
    pass_at_k,
    pass_hat_k,
    wilson_interval,
)
from harness.report.tables import pass_k_table, status_counts, status_table, success_table

__all__ = ["Comparison", "McNemar", "compare_runs", "cost_table", "injection_followed_table", "latency_table", "load_runs", "mcnemar_test",
           "paired_difference_interval", "pass_at_k", "pass_hat_k", "pass_k_table", "status_counts",
           "status_table", "success_table", "to_dataset", "wilson_interval", "write_parquet"]
