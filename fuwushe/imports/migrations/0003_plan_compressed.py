"""The kept plan moves from jsonb to compressed JSON in a bytea column (CompressedJSONField)."""

from django.db import migrations

import fuwushe.imports.models


def copy_plans(apps, schema_editor):
    ImportRun = apps.get_model("imports", "ImportRun")
    # The field compresses what it is given and hands back what it decompressed.
    for run in ImportRun.objects.exclude(plan=None).only("pk", "plan").iterator(chunk_size=20):
        ImportRun.objects.filter(pk=run.pk).update(plan_data=run.plan)


def copy_plans_back(apps, schema_editor):
    ImportRun = apps.get_model("imports", "ImportRun")
    for run in ImportRun.objects.exclude(plan_data=None).only("pk", "plan_data").iterator(
        chunk_size=20
    ):
        ImportRun.objects.filter(pk=run.pk).update(plan=run.plan_data)


class Migration(migrations.Migration):
    dependencies = [("imports", "0002_import_run_warnings")]

    operations = [
        migrations.AddField(
            model_name="importrun",
            name="plan_data",
            field=fuwushe.imports.models.CompressedJSONField(
                blank=True, editable=False, null=True, verbose_name="导入计划"
            ),
        ),
        migrations.RunPython(copy_plans, copy_plans_back),
        migrations.RemoveField(model_name="importrun", name="plan"),
        migrations.RenameField(model_name="importrun", old_name="plan_data", new_name="plan"),
    ]
