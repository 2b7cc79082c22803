"""The roster's columns for django-import-export: its export formats and the default flow.

Our importer (`members/importers.py`) takes each column's Chinese heading from here and
adds the other wordings ledgers use; the admin's export (and the import benchmark's
side-by-side run of the library's own per-row flow) uses this resource as it is.
"""

from typing import Any

from django.db import models
from import_export import fields, resources, widgets

from fuwushe.org.models import Club, Community
from members import identity
from members.models import (
    CARE_FLAGS,
    Category,
    Education,
    Gender,
    Member,
    Person,
    RelationshipHeldAt,
)

# Resource field name (= the importer's column key) → the heading on the sheet.
HEADINGS = {
    "club": "所属服务社",
    "name": "姓名",
    "gender": "性别",
    "ethnicity": "民族",
    "birth_date": "出生日期",
    "id_number": "身份证号",
    "phone": "联系电话",
    "phone_alt": "备用电话",
    "emergency_contact": "紧急联系人",
    "emergency_phone": "紧急联系人电话",
    "community": "小区",
    "building": "楼号",
    "unit": "单元",
    "room": "房号",
    "joined_party_on": "入党时间",
    "category": "党员类别",
    "former_unit": "原工作单位",
    "education": "文化程度",
    "relationship_held_at": "组织关系所在",
    "relationship_organisation": "组织关系所在党组织",
    "health_note": "健康状况",
    "lives_alone": "独居",
    "childless": "孤寡",
    "widowed": "遗孀",
    "disabled": "残疾",
    "hardship": "特困",
    "notes": "备注",
}
PERSON_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "phone_alt",
    "emergency_contact",
    "emergency_phone",
    "building",
    "unit",
    "room",
)
CHOICES: dict[str, Any] = {
    "gender": Gender,
    "category": Category,
    "education": Education,
    "relationship_held_at": RelationshipHeldAt,
}


class LabelChoiceWidget(widgets.Widget):
    """A choice written and read as its Chinese label (离退休党员), stored as its value."""

    def __init__(self, choices: type[models.TextChoices]) -> None:
        super().__init__()
        self.labels = dict(choices.choices)
        self.values = {label: value for value, label in self.labels.items()}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return self.values.get(str(value or "").strip(), str(value or ""))

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return str(self.labels.get(value, value or ""))


class YesNoWidget(widgets.BooleanWidget):
    """A care flag as ledgers mark it: 是 (or √) for yes, blank for no."""

    TRUE_VALUES = ["是", "√", "✓", "1", 1, True, "true", "TRUE", "True"]
    FALSE_VALUES = ["否", "", None, "0", 0, False, "false", "FALSE", "False"]
    NULL_VALUES: list[Any] = []

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "是" if value else ""


def _field(name: str) -> fields.Field:
    attribute = f"person__{name}" if name in PERSON_FIELDS else name
    widget: widgets.Widget
    if name in CHOICES:
        widget = LabelChoiceWidget(CHOICES[name])
    elif name in ("birth_date", "joined_party_on"):
        widget = widgets.DateWidget()
    elif name in CARE_FLAGS:
        widget = YesNoWidget()
    else:
        widget = widgets.CharWidget(allow_blank=True)  # a blank cell is "", not NULL
    return fields.Field(attribute=attribute, column_name=HEADINGS[name], widget=widget)


class MemberResource(resources.ModelResource):
    """A member with their person's details, one row each, as club ledgers lay them out."""

    club = fields.Field(
        attribute="club",
        column_name=HEADINGS["club"],
        widget=widgets.ForeignKeyWidget(Club, field="name"),
    )
    community = fields.Field(
        attribute="person__community",
        column_name=HEADINGS["community"],
        widget=widgets.ForeignKeyWidget(Community, field="name"),
    )
    name = _field("name")
    gender = _field("gender")
    ethnicity = _field("ethnicity")
    birth_date = _field("birth_date")
    id_number = _field("id_number")
    phone = _field("phone")
    phone_alt = _field("phone_alt")
    emergency_contact = _field("emergency_contact")
    emergency_phone = _field("emergency_phone")
    building = _field("building")
    unit = _field("unit")
    room = _field("room")
    joined_party_on = _field("joined_party_on")
    category = _field("category")
    former_unit = _field("former_unit")
    education = _field("education")
    relationship_held_at = _field("relationship_held_at")
    relationship_organisation = _field("relationship_organisation")
    health_note = _field("health_note")
    lives_alone = _field("lives_alone")
    childless = _field("childless")
    widowed = _field("widowed")
    disabled = _field("disabled")
    hardship = _field("hardship")
    notes = _field("notes")

    class Meta:
        model = Member
        fields = tuple(HEADINGS)
        import_id_fields = ("id_number",)

    def get_instance(self, instance_loader: Any, row: Any) -> Member | None:
        number = row.get(HEADINGS["id_number"])
        return Member.objects.select_related("person").filter(person__id_number=number).first()

    def init_instance(self, row: Any = None) -> Member:
        return Member(person=Person())

    def before_save_instance(self, instance: Member, row: Any, **kwargs: Any) -> None:
        # The library saves the member; its person is ours to save first, row by row.
        person = instance.person
        person.id_number = identity.validate_id_number(person.id_number)
        person.birth_date = identity.id_birth_date(person.id_number)
        person.gender = identity.id_gender(person.id_number)
        person.name_pinyin, person.name_initials = identity.pinyin_columns(person.name)
        person.save()
        instance.person = person
