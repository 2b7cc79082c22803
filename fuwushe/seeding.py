"""The one demo-data generator: `seed_demo` runs the seeders that apps register here.

Each app adds a `seeding.py` with functions decorated by `@seeder(...)`. A seeder
must be idempotent (running it twice leaves the same rows), deterministic for a
given seed (it draws only from `context.rng(name)`), and bulk-fast. It creates what
is missing and never changes a row that exists: `bin/run` seeds on every start, and
an edit someone made to a demo record must survive it.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from django.db import models
from django.utils.module_loading import autodiscover_modules

M = TypeVar("M", bound=models.Model)

ScaleName = Literal["small", "full", "stress"]


@dataclass(frozen=True)
class Scale:
    name: ScaleName
    label: str
    factor: float

    def count(self, full_size: int) -> int:
        """Scale a figure given at the network's real size (e.g. 39,000 members)."""
        return max(1, round(full_size * self.factor))


SCALES: dict[str, Scale] = {
    "small": Scale("small", "小规模演示", 0.02),
    "full": Scale("full", "全网真实规模", 1.0),
    "stress": Scale("stress", "十倍压力规模", 10.0),
}


@dataclass(frozen=True)
class Credential:
    role: str
    username: str
    password: str


@dataclass
class SeedContext:
    scale: Scale
    seed: int
    credentials: list[Credential] = field(default_factory=list)

    def rng(self, stream: str) -> random.Random:
        """A random stream per seeder, so adding one seeder never changes another's data."""
        return random.Random(f"{self.seed}:{stream}")  # noqa: S311 - demo data, not secrets


@dataclass(frozen=True)
class Seeder:
    name: str
    order: int
    organisation: bool
    run: Callable[[SeedContext], str]


_registry: dict[str, Seeder] = {}


def seeder(
    name: str, *, order: int, organisation: bool = False
) -> Callable[[Callable[[SeedContext], str]], Callable[[SeedContext], str]]:
    """Register a seeder; `organisation=True` puts it in `seed_demo --org-only`."""

    def register(func: Callable[[SeedContext], str]) -> Callable[[SeedContext], str]:
        _registry[name] = Seeder(name=name, order=order, organisation=organisation, run=func)
        return func

    return register


def registered_seeders(*, organisation_only: bool = False) -> list[Seeder]:
    autodiscover_modules("seeding")
    chosen = [s for s in _registry.values() if s.organisation or not organisation_only]
    return sorted(chosen, key=lambda s: (s.order, s.name))


def create_missing(objects: Sequence[M], key: Sequence[str]) -> dict[tuple[Any, ...], M]:
    """Insert the objects whose `key` (unique fields, by attribute name) is not taken yet.

    Returns key → the stored object: a row that exists comes back as it is in the
    database, whatever the planned object says.
    """
    if not objects:
        return {}
    model = type(objects[0])

    def key_of(obj: models.Model) -> tuple[Any, ...]:
        return tuple(getattr(obj, name) for name in key)

    first = {getattr(obj, key[0]) for obj in objects}
    stored = {key_of(obj): obj for obj in model._default_manager.filter(**{f"{key[0]}__in": first})}
    missing = [obj for obj in objects if key_of(obj) not in stored]
    model._default_manager.bulk_create(missing)
    stored.update((key_of(obj), obj) for obj in missing)
    return stored
