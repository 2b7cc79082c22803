from django.db import migrations

STANDARD_TAGS = ["五老", "讲师", "顾问", "文体骨干"]


def create_standard_tags(apps, schema_editor):  # type: ignore[no-untyped-def]
    TalentTag = apps.get_model("members", "TalentTag")
    for name in STANDARD_TAGS:
        TalentTag.objects.update_or_create(name=name, defaults={"is_standard": True})


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [migrations.RunPython(create_standard_tags, migrations.RunPython.noop)]
