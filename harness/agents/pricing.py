"""What a model call costs, from a price table kept as data (``pricing.json``) that users extend.

A model id matches the longest table key that is the id itself or a prefix
of it followed by ``-`` (so ``claude-sonnet-4-5-20250929`` is priced as
``claude-sonnet-4-5`` and ``claude-opus-4-20250514`` as ``claude-opus-4``).
An unknown model is an error, not a silent zero: a results table with $0
for a real run would be wrong without anyone noticing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import ConfigError

DEFAULT_TABLE = Path(__file__).with_name("pricing.json")
#: Environment variable naming an extra price file; its entries override and extend the built-in table.
PRICING_ENV = "DESKBENCH_PRICING"
PER_TOKENS = 1_000_000


class ModelPrice(BaseModel):
    """USD per million tokens; the cache multipliers default to the table's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_write_multiplier: float | None = Field(default=None, ge=0)
    cache_read_multiplier: float | None = Field(default=None, ge=0)


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="allow")

    version: int = 1
    cache_write_multiplier: float = Field(default=1.25, ge=0)
    cache_read_multiplier: float = Field(default=0.1, ge=0)
    models: dict[str, ModelPrice]


@dataclass(frozen=True)
class Rates:
    """Resolved USD per token for one model."""

    model: str
    input: float
    output: float
    cache_write: float
    cache_read: float

    def cost(self, input_tokens: int, output_tokens: int, cache_write_tokens: int = 0,
             cache_read_tokens: int = 0) -> float:
        """input x P_in + cache_write x w x P_in + cache_read x r x P_in + output x P_out (thinking bills as output)."""
        return (input_tokens * self.input + output_tokens * self.output + cache_write_tokens * self.cache_write
                + cache_read_tokens * self.cache_read)


def load_table(path: Path) -> PriceTable:
    try:
        return PriceTable.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ConfigError(f"cannot read price table {path}: {exc}") from None
    except (ValueError, ValidationError) as exc:
        raise ConfigError(f"price table {path} is not valid: {exc}") from None


@lru_cache(maxsize=16)
def _merged(extra: str | None) -> PriceTable:
    table = load_table(DEFAULT_TABLE)
    if extra:
        more = load_table(Path(extra))
        table = table.model_copy(update={"models": {**table.models, **more.models}})
    return table


def price_table(extra: str | Path | None = None) -> PriceTable:
    """The built-in table, extended by ``extra`` or else by the file ``$DESKBENCH_PRICING`` names."""
    chosen = extra if extra is not None else os.environ.get(PRICING_ENV)
    return _merged(str(chosen) if chosen else None)


def rates_for(model: str, extra: str | Path | None = None, price: tuple[float, float] | None = None) -> Rates:
    """Per-token rates for ``model``; ConfigError naming the ways to price it if it is not priced.

    ``price`` (USD per million input and output tokens) overrides the table, for a model it does not
    know yet; cache reads and writes then take the table's default multipliers.
    """
    table = price_table(extra)
    if price is not None:
        return _resolve(model, ModelPrice(input=price[0], output=price[1]), table)
    keys = [k for k in table.models if model == k or model.startswith(k + "-")]
    if not keys:
        raise ConfigError(f"no price for model {model!r} in the built-in price table; give one with the agent "
                          f"option price=INPUT/OUTPUT (USD per million tokens), or a price file with pricing=PATH "
                          f"or ${PRICING_ENV}")
    key = max(keys, key=len)
    return _resolve(key, table.models[key], table)


def _resolve(key: str, price: ModelPrice, table: PriceTable) -> Rates:
    write = price.cache_write_multiplier if price.cache_write_multiplier is not None else table.cache_write_multiplier
    read = price.cache_read_multiplier if price.cache_read_multiplier is not None else table.cache_read_multiplier
    return Rates(key, price.input / PER_TOKENS, price.output / PER_TOKENS, price.input * write / PER_TOKENS,
                 price.input * read / PER_TOKENS)
