"""Which model ids the mock serves and which request fields each takes, as the API documents them.

Kept apart from the agent's own model table on purpose: the mock plays the
API, so an agent whose table is wrong (a retired model, temperature sent to a
model that refuses it) fails here as it would against the real service.
"""

from __future__ import annotations

#: Model families the API no longer serves: a request gets 404 not_found_error.
RETIRED = ("claude-3-opus", "claude-3-haiku", "claude-3-5-haiku", "claude-3-5-sonnet", "claude-3-7-sonnet",
           "claude-sonnet-4", "claude-opus-4", "claude-opus-4-1", "claude-2")
#: Families that refuse temperature/top_p/top_k and thinking budgets (adaptive thinking only).
ADAPTIVE_ONLY = ("claude-opus-4-7", "claude-opus-4-8", "claude-opus-5", "claude-sonnet-5", "claude-fable-5",
                 "claude-mythos-5", "claude-haiku-5")
#: Families still served: a longer one wins over a retired shorter prefix (claude-sonnet-4-5 over claude-sonnet-4).
SERVED = ("claude-sonnet-4-5", "claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-5", "claude-opus-4-6",
          *ADAPTIVE_ONLY)
SAMPLING = ("temperature", "top_p", "top_k")


def _family(model: str, families: tuple[str, ...]) -> str | None:
    found = [f for f in families if model == f or model.startswith(f + "-")]
    return max(found, key=len) if found else None


def is_retired(model: str) -> bool:
    retired, served = _family(model, RETIRED), _family(model, SERVED)
    return retired is not None and (served is None or len(retired) > len(served))


def adaptive_only(model: str) -> bool:
    """Opus 4.7 and later refuse sampling parameters and thinking budgets."""
    return _family(model, ADAPTIVE_ONLY) is not None
