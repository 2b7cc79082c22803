"""Recompute the pinyin search keys of people on record with the surname readings.

It calls the live `pinyin_columns`, not a frozen copy: the keys are derived data, and
whatever rule is current when the migration runs is the one searches use afterwards.
Set-based: each batch is one SELECT and one UPDATE … FROM unnest, so 39,000 people take
seconds.
"""

from django.db import migrations

BATCH = 5000


def recompute_pinyin(apps, schema_editor):  # type: ignore[no-untyped-def]
    from members.identity import pinyin_columns

    Person = apps.get_model("members", "Person")
    table = schema_editor.quote_name(Person._meta.db_table)
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, name, name_pinyin, name_initials FROM {table} "  # noqa: S608
                "WHERE id > %s ORDER BY id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            changed = [
                (row_id, *keys)
                for row_id, name, *stored in rows
                if (keys := pinyin_columns(name)) != tuple(stored)
            ]
            if changed:
                ids, full, initials = (list(column) for column in zip(*changed, strict=True))
                cursor.execute(
                    f"UPDATE {table} AS p SET name_pinyin = k.spelled, name_initials = k.initials "  # noqa: S608
                    "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS k(id, spelled, initials) "
                    "WHERE p.id = k.id",
                    [ids, full, initials],
                )


class Migration(migrations.Migration):
    dependencies = [("members", "0002_standard_tags")]

    operations = [migrations.RunPython(recompute_pinyin, migrations.RunPython.noop)]
