"""The one registration point for importers: each domain app adds its own here.

An app declares an `Importer` subclass in `<app>/importers.py` and decorates it with
`@register`; the imports app discovers those modules when Django starts.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from fuwushe.imports.reading import Column, Table
from fuwushe.org.models import Club, Community
from fuwushe.org.scoping import Scope

# Every kind the command line knows, landed or not, with its Chinese name.
KINDS = {
    "members": "党员花名册",
    "volunteers": "志愿者名册",
    "hours": "志愿服务时长",
    "visits": "走访记录",
    "meetings": "会议记录",
}


@dataclass(frozen=True)
class RowError:
    """What is wrong in one cell (or, with no column, one row) of the file."""

    row: int
    column: str
    value: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": self.code,
            "message": self.message,
        }


# A cell that was accepted, but not exactly as written (an unknown community left empty,
# an area code assumed): same shape as an error, never blocks, never counts as an error row.
RowWarning = RowError


@dataclass
class ImportContext:
    """Who imports, with what scope, into which club when the file does not say."""

    actor: Any  # a User, or None for the command line acting with center scope
    scope: Scope
    club: Club | None = None
    # Written community names the user mapped for this run (import_data --map-community).
    community_map: Mapping[str, Community] = field(default_factory=dict)


@dataclass
class Plan:
    """What validation found and what applying will write (JSON-serialisable operations)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_rows: int = 0
    warnings: list[RowWarning] = field(default_factory=list)
    operations: dict[str, Any] = field(default_factory=dict)
    # The club every row belongs to, or None when rows span clubs.
    club_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [e.as_dict() for e in self.errors],
            "error_rows": self.error_rows,
            "warnings": [w.as_dict() for w in self.warnings],
            "operations": self.operations,
            "club_id": self.club_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Plan":
        return cls(
            **{
                **data,
                "errors": [RowError(**e) for e in data.get("errors", [])],
                "warnings": [RowWarning(**w) for w in data.get("warnings", [])],
            },
        )


class Importer(ABC):
    """Reads one kind of ledger: validates every row in batches, then writes in bulk."""

    kind: ClassVar[str]
    columns: ClassVar[Sequence[Column]]

    @abstractmethod
    def validate(self, table: Table, context: ImportContext) -> Plan:
        """Check every row (read as they come) and decide what to write; write nothing."""

    @abstractmethod
    def apply(self, plan: Plan, context: ImportContext, *, valid_only: bool) -> None:
        """Write exactly the plan's operations (inside the caller's transaction)."""


class UnknownKind(Exception):
    def __init__(self, kind: str) -> None:
        if kind in KINDS:
            message = f"“{KINDS[kind]}”（{kind}）的导入功能尚未上线。"
        else:
            message = f"没有“{kind}”这种导入类型，可选：{'、'.join(KINDS)}。"
        super().__init__(message)
        self.message = message


_importers: dict[str, type[Importer]] = {}
ImporterClass = TypeVar("ImporterClass", bound=type[Importer])


def register(importer: ImporterClass) -> ImporterClass:
    if importer.kind not in KINDS:
        raise ValueError(f"Add the import kind {importer.kind!r} to KINDS first.")
    _importers[importer.kind] = importer
    return importer


def get_importer(kind: str) -> Importer:
    if kind not in _importers:
        raise UnknownKind(kind)
    return _importers[kind]()


def registered_kinds() -> list[str]:
    return sorted(_importers)
