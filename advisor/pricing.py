"""The dated, sourced price catalog, and the prices a call is costed at.

Prices change and models are retired, so every figure in `data/prices.toml` carries the sources it
was read from and the date each was checked; a figure found in no source is absent, and an absent
price is an error the user fixes with an override, never a silent $0.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from advisor.bounds import MAX_PRICE
from advisor.errors import UnknownModelError
from advisor.usage import Usage, call_cost

Price = Annotated[float, Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)]
"""USD per 1M tokens (or per hour, for hosting)."""

GROUPS: dict[str, tuple[str, ...]] = {
    "base": ("input", "cached_input", "output"),
    "fine_tuning": ("training", "ft_input", "ft_cached_input", "ft_output"),
    "limits": ("training_context", "min_training_examples"),
}
"""Names that let an entry cite one source list for several figures at once."""
_OTHERS = (
    "batch_discount",
    "hosting_per_hour",
    "shutdown",
    "training_cutoff",
    "training_full",
    "min_training_charge",
    "adapter_at_base_price",
    "storage_per_month",
)
FIGURES = (*GROUPS["base"], *GROUPS["fine_tuning"], *GROUPS["limits"], *_OTHERS)
"""Every figure an entry can carry, in the order `advisor prices MODEL` shows them."""
_STRICT = ConfigDict(extra="forbid", frozen=True)
COMMAND_LINE = "the command line (--price)"
"""Where a price given with `--price` came from, as a price's source says it."""


def _no_price(provider: str, model: str, what: str) -> UnknownModelError:
    return UnknownModelError(
        f"{provider} model {model!r} {what}: add [candidates.prices] input/cached_input/output "
        f"per 1M tokens to the study, or --price {model}=input,cached_input,output"
    )


class Source(BaseModel):
    """A document figures were read from."""

    model_config = _STRICT
    name: str = Field(min_length=1)
    """What the document is, specific enough to find it again."""
    url: str | None = None
    checked: date
    """When we read it."""
    dated: date | None = None
    """A date the document itself carries: a notice date, or its own prices-checked date."""
    note: str | None = None
    """How it was read or confirmed."""


class CatalogEntry(BaseModel):
    """One model snapshot at one provider; None means no source gives that figure."""

    model_config = _STRICT
    provider: str
    model: str
    aliases: tuple[str, ...] = ()
    """Undated names that can only mean this snapshot."""
    input: Price | None = None
    cached_input: Price | None = None
    output: Price | None = None
    training: Price | None = None
    """Per 1M training tokens (dataset tokens x epochs)."""
    ft_input: Price | None = None
    ft_cached_input: Price | None = None
    ft_output: Price | None = None
    batch_discount: float | None = Field(default=None, ge=0, lt=1)
    """Fraction taken off the Standard base prices by the batch API (0.5 = 50% off)."""
    hosting_per_hour: Price | None = None
    """What a deployed fine-tune costs per hour, where the provider bills one."""
    training_context: PositiveInt | None = None
    """Longest training example, in tokens."""
    min_training_examples: PositiveInt | None = None
    shutdown: date | None = None
    """The base snapshot and fine-tunes built on it stop answering on this day."""
    training_cutoff: date | None = None
    """The last day the provider accepts new training jobs."""
    family: str | None = None
    """Model family across providers (llama-3.1, qwen-2.5, gpt-4o, ...): what `advisor families`
    groups by."""
    parameters_b: float | None = Field(default=None, gt=0)
    """Parameter count in billions: the size bracket open-weight providers price by."""
    training_full: Price | None = None
    """Per 1M training tokens for full fine-tuning, where the provider prices it apart from
    LoRA (`training`)."""
    min_training_charge: Price | None = None
    """The least a training job costs, USD (0 where the provider says there is no minimum)."""
    adapter_at_base_price: bool | None = None
    """A fine-tune (LoRA adapter) is served serverless at the base model's per-token prices."""
    storage_per_month: Price | None = None
    """What keeping a fine-tuned model costs per month, USD, whether or not it is called."""
    note: str | None = None
    """What a reader of these figures should know, such as an exception to the batch discount."""
    sources: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Figure or group name -> keys into the catalog's [sources]."""

    @model_validator(mode="after")
    def _every_figure_sourced(self) -> CatalogEntry:
        where = f"{self.provider} {self.model}"
        for key in self.sources:
            if key not in FIGURES and key not in GROUPS:
                raise ValueError(f"{where}: sources names {key!r}, which is no figure or group")
        for figure in FIGURES:
            if getattr(self, figure) is not None and not self.source_keys(figure):
                raise ValueError(f"{where}: {figure} has no source")
        return self

    def source_keys(self, figure: str) -> tuple[str, ...]:
        """The figure's own sources, else its group's."""
        group = next((g for g, members in GROUPS.items() if figure in members), None)
        return self.sources.get(figure) or self.sources.get(group or "", ())


class GpuOffer(BaseModel):
    """A provider's price for one GPU of a dedicated deployment, per hour."""

    model_config = _STRICT
    provider: str
    gpu: str
    per_hour: Price
    sources: tuple[str, ...] = Field(min_length=1)
    note: str | None = None


class Catalog(BaseModel):
    """The whole catalog file."""

    model_config = _STRICT
    version: Literal[1]
    sources: dict[str, Source]
    models: tuple[CatalogEntry, ...]
    gpus: tuple[GpuOffer, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        names: set[tuple[str, str]] = set()
        for entry in self.models:
            for key in (k for keys in entry.sources.values() for k in keys):
                if key not in self.sources:
                    raise ValueError(f"{entry.provider} {entry.model}: unknown source {key!r}")
            for name in (entry.model, *entry.aliases):
                if (entry.provider, name) in names:
                    raise ValueError(f"{entry.provider} {name} is listed twice")
                names.add((entry.provider, name))
        for gpu in self.gpus:
            for key in gpu.sources:
                if key not in self.sources:
                    raise ValueError(f"{gpu.provider} {gpu.gpu}: unknown source {key!r}")
        return self

    def find(self, provider: str, model: str) -> CatalogEntry | None:
        """The entry for a snapshot or one of its aliases."""
        for e in self.models:
            if e.provider == provider and model in (e.model, *e.aliases):
                return e
        return None

    def sources_of(self, entry: CatalogEntry, figure: str) -> tuple[Source, ...]:
        """The documents a figure of an entry was read from."""
        return tuple(self.sources[key] for key in entry.source_keys(figure))


class PriceOverride(BaseModel):
    """Prices the user gives (study or --price); each one replaces the catalog's figure."""

    model_config = _STRICT
    input: Price | None = None
    cached_input: Price | None = None
    output: Price | None = None
    training: Price | None = None
    hosting_per_hour: Price | None = None
    batch_discount: float | None = Field(default=None, ge=0, lt=1)
    """Fraction the provider's Batch API takes off (0.5 = half price), where the catalog has
    none: it prices `[traffic] batch_share`."""


@dataclass(frozen=True)
class CallPrices:
    """What one call is costed at, USD per 1M tokens."""

    input: float
    cached_input: float
    output: float
    source: str = ""
    """Where each price came from, for the report."""

    def cost(self, usage: Usage) -> float:
        """Uncached x input + cached x cached input + output x output price, in USD."""
        return call_cost(
            usage.uncached_tokens,
            usage.cached_tokens,
            usage.completion_tokens,
            self.input,
            self.cached_input,
            self.output,
        )


@dataclass(frozen=True)
class ModelTerms:
    """The facts the cost model needs besides call prices; None where no source gives them."""

    training: float | None
    training_context: int | None
    min_training_examples: int | None
    shutdown: date | None
    training_cutoff: date | None
    batch_discount: float | None
    hosting_per_hour: float | None
    min_training_charge: float | None = None


@cache
def load_catalog() -> Catalog:
    """The catalog shipped with the package, read once."""
    text = resources.files("advisor").joinpath("data/prices.toml").read_text(encoding="utf-8")
    return Catalog.model_validate(tomllib.loads(text))


def resolve_model(model: str, provider: str | None = None) -> tuple[str, bool]:
    """The catalog snapshot a model id names, and whether the id is a fine-tune.

    `ft:BASE:org:suffix:id` (suffix may be empty) names a fine-tune of BASE. An undated alias
    resolves only when exactly one catalog entry claims it; anything else comes back unchanged.
    """
    fine_tuned = model.startswith("ft:")
    name = model.split(":")[1] if fine_tuned else model
    owners = [
        e.model
        for e in load_catalog().models
        if name in e.aliases and provider in (None, e.provider)
    ]
    return (owners[0] if len(owners) == 1 else name), fine_tuned


def lookup(provider: str, model: str) -> CatalogEntry:
    """The catalog entry for a model id (fine-tuned ids and aliases included)."""
    entry = load_catalog().find(provider, resolve_model(model, provider)[0])
    if entry is None:
        raise _no_price(provider, model, "is not in the price catalog")
    return entry


def call_prices(
    provider: str,
    model: str,
    *,
    fine_tuned: bool | None = None,
    overrides: PriceOverride | None = None,
    overrides_from: str = "an override",
) -> CallPrices:
    """The per-1M prices a call to `model` is costed at.

    A fine-tuned model (by its id, or forced with `fine_tuned`) uses the catalog's ft_* prices.
    Overrides win over the catalog; a model absent from the catalog needs at least input and
    output overrides. A missing cached price means cached tokens are billed as input.
    `overrides_from` says where the overrides came from (the study, the command line).
    """
    catalog = load_catalog()
    base, is_ft = resolve_model(model, provider)
    is_ft = is_ft if fine_tuned is None else fine_tuned
    entry = catalog.find(provider, base)
    given = overrides or PriceOverride()
    prefix, kind = ("ft_", "fine-tuned ") if is_ft else ("", "")
    values: dict[str, float] = {}
    origins: dict[str, str] = {}
    for name in ("input", "cached_input", "output"):
        figure = prefix + name
        if getattr(given, name) is not None:
            values[name], origins[name] = getattr(given, name), overrides_from
        elif entry is not None and getattr(entry, figure) is not None:
            values[name] = getattr(entry, figure)
            origins[name] = f"catalog {kind}price, " + describe(catalog.sources_of(entry, figure))
        elif is_ft and entry and entry.adapter_at_base_price and getattr(entry, name) is not None:
            values[name] = getattr(entry, name)
            both = catalog.sources_of(entry, name) + catalog.sources_of(
                entry, "adapter_at_base_price"
            )
            origins[name] = "catalog base price (adapters served at the base price), " + describe(
                tuple(dict.fromkeys(both))
            )
        elif name == "cached_input" and "input" in values:
            values[name], origins[name] = values["input"], "no cached price known, billed as input"
        else:
            where = "is not in the price catalog" if entry is None else f"has no {kind}{name} price"
            raise _no_price(provider, model, where)
    grouped: dict[str, list[str]] = {}
    for name, origin in origins.items():
        grouped.setdefault(origin, []).append(name.replace("_", " "))
    source = "; ".join(f"{', '.join(names)}: {origin}" for origin, names in grouped.items())
    return CallPrices(values["input"], values["cached_input"], values["output"], source)


def model_terms(provider: str, model: str, *, overrides: PriceOverride | None = None) -> ModelTerms:
    """Training price, limits, lifecycle dates and discounts of a model's base snapshot.

    A model absent from the catalog is no error here: these facts are optional to the cost model,
    and an override still gives the training and hosting prices.
    """
    base = resolve_model(model, provider)[0]
    entry = load_catalog().find(provider, base) or CatalogEntry(provider=provider, model=base)
    given = overrides or PriceOverride()
    return ModelTerms(
        training=entry.training if given.training is None else given.training,
        training_context=entry.training_context,
        min_training_examples=entry.min_training_examples,
        shutdown=entry.shutdown,
        training_cutoff=entry.training_cutoff,
        batch_discount=(
            entry.batch_discount if given.batch_discount is None else given.batch_discount
        ),
        hosting_per_hour=(
            entry.hosting_per_hour if given.hosting_per_hour is None else given.hosting_per_hour
        ),
        min_training_charge=entry.min_training_charge,
    )


def describe(sources: tuple[Source, ...]) -> str:
    checked = ", ".join(sorted({str(s.checked) for s in sources}))
    return " + ".join(s.name for s in sources) + f" (checked {checked})"
