"""Set-based reads and writes for bulk paths (imports, seeding): one statement per batch.

`bulk_create` spends longer preparing 40,000 rows in Python than PostgreSQL spends
writing them, and a `key__in` of 40,000 values takes Django longer to compile than the
database to run. These send one array per column instead, each as a single array literal
('{"a","b"}'): a Python list would reach the server as ARRAY['a','b',…], one expression
per value for the parser, which made the parse of a 5,000-row statement cost three times
its write. They go through Django's cursor, so the audit context is attached; the
(statement-level) audit triggers see every row.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from itertools import repeat
from typing import Any

from django.db import connection, models
from django.utils import timezone


def select_by_keys(
    model: type[models.Model], key: str, fields: Sequence[str], keys: list[Any]
) -> list[tuple[Any, ...]]:
    """(pk, key, *fields) of the rows whose unique `key` column is in `keys`."""
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in (str(meta.pk.column), key, *fields))
    key_type = meta.get_field(key).db_type(connection)
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(key)} = ANY(%s::{key_type}[])"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [array_literal(keys)])
        return cursor.fetchall()


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    update_on_conflict: bool = False,
) -> list[tuple[Any, int]]:
    """Insert many rows in one statement: INSERT … SELECT FROM unnest(an array per column).

    The first column is a unique key. With `update_on_conflict` a row whose key exists
    updates it; without, such a row raises IntegrityError (nothing is written). Columns
    not given get their field's default (timestamps: now) on insert and are left alone
    on update, except an auto_now timestamp. Returns (key, primary key) pairs.
    """
    if not rows:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    now = timezone.now()
    others = [f for f in meta.concrete_fields if f.column not in columns and not f.primary_key]
    fields = [meta.get_field(column) for column in columns]
    arrays = [array_literal(values) for values in zip(*rows, strict=True)]
    # The columns not given take one value for every row: a parameter each, not an array.
    defaults = [now if _stamped(f) else f.get_default() for f in others]
    key, pk = quote(columns[0]), quote(str(meta.pk.column))
    targets = ", ".join(quote(name) for name in [*columns, *(str(f.column) for f in others)])
    sources = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    constants = "".join(f", %s::{field.db_type(connection)}" for field in others)
    conflict = ""
    if update_on_conflict:
        updated = [*columns[1:], *(str(f.column) for f in others if getattr(f, "auto_now", False))]
        sets = ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in updated)
        conflict = f"ON CONFLICT ({key}) DO UPDATE SET {sets} "
    # Names come from the model's metadata; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({targets}) "  # noqa: S608
        f"SELECT given.*{constants} FROM unnest({sources}) AS given "
        f"{conflict}RETURNING {key}, {pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*defaults, *arrays])  # in the order of their placeholders
        return [(value, row_id) for value, row_id in cursor.fetchall()]


def array_literal(values: Iterable[Any]) -> str:
    """PostgreSQL's text form of a one-dimensional array: every element quoted, None as
    NULL. Cast on the server (`%s::date[]`), so each element is read as its column's type.

    A column of one type (text, numbers, dates, as most are) is joined without a Python
    call per value."""
    values = list(values)
    if not values:
        return "{}"
    kinds = set(map(type, values))
    if kinds == {str}:
        return '{"' + '","'.join(map(str.translate, values, repeat(_ESCAPES))) + '"}'
    if kinds == {int}:
        return "{" + ",".join(map(str, values)) + "}"
    if kinds == {date}:
        return "{" + ",".join(map(date.isoformat, values)) + "}"
    return "{" + ",".join(map(_element, values)) + "}"


# Inside a quoted array element, a double quote and a backslash are escaped.
_ESCAPES = str.maketrans({'"': '\\"', "\\": "\\\\"})


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        text = value
    elif isinstance(value, date | datetime):
        text = value.isoformat()
    else:
        text = str(value)
    return '"' + text.translate(_ESCAPES) + '"'


def analyze(
    *models_: type[models.Model], columns: Mapping[type[models.Model], Sequence[str]] | None = None
) -> None:
    """Refresh the planner's statistics after a bulk load. Until autovacuum gets to it, the
    planner takes a table of 39,000 members for an empty one and picks nested loops that
    make the change list sixty times slower. (Our own uncommitted rows are sampled too.)

    `columns` limits a model's sampling to the columns named (its row count is refreshed
    all the same): the statistics of expression indexes (reverse(...) tails) cost most of
    a full ANALYZE, and autovacuum's own analyze follows within minutes.
    """
    quote = connection.ops.quote_name
    names = []
    for model in models_:
        table = quote(model._meta.db_table)
        chosen = (columns or {}).get(model)
        if chosen:
            fields = [
                quote(str(getattr(model._meta.get_field(name), "column", name))) for name in chosen
            ]
            table = f"{table} ({', '.join(fields)})"
        names.append(table)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(names)}")


def _stamped(field: "models.Field[Any, Any]") -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))
