"""The area codes of Shandong's cities, where the clubs are; the center adds others."""

from django.db import migrations

AREA_CODES = {
    "济南市": "0531",
    "青岛市": "0532",
    "淄博市": "0533",
    "德州市": "0534",
    "烟台市": "0535",
    "潍坊市": "0536",
    "济宁市": "0537",
    "泰安市": "0538",
    "临沂市": "0539",
    "菏泽市": "0530",
    "滨州市": "0543",
    "东营市": "0546",
    "威海市": "0631",
    "枣庄市": "0632",
    "日照市": "0633",
    "聊城市": "0635",
}


def add_codes(apps, schema_editor):
    AreaCode = apps.get_model("org", "AreaCode")
    for city, code in AREA_CODES.items():
        AreaCode.objects.get_or_create(city=city, defaults={"code": code})


class Migration(migrations.Migration):
    dependencies = [("org", "0003_community_aliases_area_codes")]

    operations = [migrations.RunPython(add_codes, migrations.RunPython.noop)]
