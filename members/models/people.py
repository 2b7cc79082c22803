"""A person, once in the whole system, keyed on the resident ID number; how people are found."""

from datetime import date

from django.contrib.postgres.indexes import OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Reverse
from django.db.models.lookups import StartsWith

from fuwushe.audit.tracking import track
from fuwushe.org.models import Community
from fuwushe.org.scoping import Scope, ScopedQuerySet
from members.models.checks import hidden_character_errors
from members.privacy import mask_id_number, mask_phone


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class PersonQuerySet(ScopedQuerySet["Person"]):
    """A person belongs to every club where they hold a role (member or applicant)."""

    def scope_q(self, scope: Scope) -> Q | None:
        if scope.is_center:
            return None
        from members.models.applicants import PartyApplicant
        from members.models.roster import Member

        members = Member.objects.for_scope(scope).values("person_id")
        # Only an application in progress holds a person; a finished one made a member.
        applicants = PartyApplicant.objects.open().for_scope(scope).values("person_id")
        return Q(pk__in=members) | Q(pk__in=applicants)

    def search(self, term: str, *, full_numbers: bool = False) -> "PersonQuerySet":
        return self.filter(person_search_q(term, prefix="", full_numbers=full_numbers))


# Digits up to this long may be a building number as well as the end of a number; the
# masks show this many last digits of a phone, and ID_SHOWN of an ID number.
SHORT_NUMBER = 4
ID_SHOWN = 2


def phone_number_part(field: str) -> Func:
    """A stored phone without its extension (0546-8123456转123 → 0546-8123456): what a
    search by its last digits matches, and what the tail indexes hold."""
    return Func(
        F(field), Value("转"), Value(1), function="split_part", output_field=models.CharField()
    )


def person_search_q(term: str, *, prefix: str, full_numbers: bool = False) -> Q:
    """Name, pinyin (full or initials), ID number or phone tail, building — all indexed.

    Digits search the end of ID numbers and phones; Latin letters the pinyin from its
    start; anything else the name (from its start or its end), the building and the
    community. Unless `full_numbers`
    (the user may see numbers in full), only the last SHORT_NUMBER digits typed are
    matched: otherwise longer and longer endings would spell out a masked number.
    """
    term = "".join(term.split())
    if not term:
        return Q()
    if term.isdigit() or (term[:-1].isdigit() and term[-1] in "xX"):
        # "Ends with" as "the reversed value starts with", which a B-tree index serves.
        # Without full_numbers, no more is matched than the masks show: the last 2
        # characters of an ID number (the birth date is on the page beside it, so its
        # tail would soon spell the rest out) and the last 4 digits of a phone.
        id_tail = term if full_numbers else term[-ID_SHOWN:]
        phone_tail = term if full_numbers else term[-SHORT_NUMBER:]
        tails = Q(StartsWith(Reverse(f"{prefix}id_number"), Value(id_tail.upper()[::-1])))
        for phone in ("phone", "phone_alt"):
            number = Reverse(phone_number_part(f"{prefix}{phone}"))
            tails |= Q(StartsWith(number, Value(phone_tail[::-1])))
        if len(term) <= SHORT_NUMBER:
            tails |= Q(**{f"{prefix}building": term})  # "12" is also building 12
        return tails
    if term.isascii() and term.isalpha():
        lowered = term.lower()
        return Q(**{f"{prefix}name_initials__startswith": lowered}) | Q(
            **{f"{prefix}name_pinyin__startswith": lowered}
        )
    # Communities are looked up first (a small query): OR-ing a joined table's column
    # into the condition would keep the planner from using the person indexes.
    communities = list(Community.objects.filter(name__startswith=term).values_list("pk", flat=True))
    # A name is matched from its start (surname, full name) or its end (given name).
    return (
        Q(**{f"{prefix}name__startswith": term})
        | Q(StartsWith(Reverse(f"{prefix}name"), Value(term[::-1])))
        | Q(**{f"{prefix}building__startswith": term})
        | Q(**{f"{prefix}community_id__in": communities})
    )


# A person's details as stored columns, beside the ID number and the pinyin columns
# (which follow from the name): what bulk paths compare and write.
PERSON_DETAIL_COLUMNS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "phone",
    "phone_alt",
    "emergency_contact",
    "emergency_phone",
    "community_id",
    "building",
    "unit",
    "room",
)


# Free text of a person that must read as it is shown: no control characters or
# direction overrides (the name has its own, stricter rule: identity.clean_name).
VISIBLE_TEXT = ("name", "ethnicity", "emergency_contact", "building", "unit", "room")


@track(exclude=["name_pinyin", "name_initials", "updated_at"])
class Person(models.Model):
    """One resident, once in the whole system, keyed on the resident ID number.

    Members, volunteers and party applicants are roles of a person. Written only
    through `members.services` (names, ID numbers and phones are normalised there).
    """

    SENSITIVE_MASKS = {
        "id_number": mask_id_number,
        "phone": mask_phone,
        "phone_alt": mask_phone,
        "emergency_phone": mask_phone,
    }

    name = models.CharField("姓名", max_length=50)
    name_pinyin = models.CharField("姓名拼音", max_length=200, editable=False)
    name_initials = models.CharField("拼音首字母", max_length=50, editable=False)
    gender = models.CharField("性别", max_length=6, choices=Gender)
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    birth_date = models.DateField("出生日期")
    id_number = models.CharField("身份证号", max_length=18, unique=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    phone_alt = models.CharField("备用电话", max_length=20, blank=True)
    emergency_contact = models.CharField("紧急联系人", max_length=50, blank=True)
    emergency_phone = models.CharField("紧急联系人电话", max_length=20, blank=True)
    community = models.ForeignKey(
        Community,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name="居住小区",
    )
    building = models.CharField("楼号", max_length=20, blank=True)
    unit = models.CharField("单元", max_length=10, blank=True)
    room = models.CharField("房号", max_length=10, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["name_pinyin", "pk"]
        permissions = [("view_sensitive_person", "查看完整身份证号和电话")]
        constraints = [
            models.CheckConstraint(
                name="person_id_number_is_18_upper",
                condition=Q(id_number__regex=r"^[0-9]{17}[0-9X]$"),
                violation_error_message="身份证号须为 18 位，最后一位为数字或大写 X。",
            ),
        ]
        indexes = [
            # "Starts with" and (on the reversed value) "ends with" searches, each served by
            # a B-tree index: far cheaper to write on a 40,000-row import than a trigram
            # index, which took 1.4 s of it.
            models.Index(OpClass("name", name="varchar_pattern_ops"), name="person_name_prefix"),
            models.Index(
                OpClass(Reverse("name"), name="text_pattern_ops"), name="person_name_tail"
            ),
            models.Index(
                OpClass(Reverse("id_number"), name="text_pattern_ops"), name="person_id_number_tail"
            ),
            models.Index(
                OpClass(Reverse(phone_number_part("phone")), name="text_pattern_ops"),
                name="person_phone_tail",
            ),
            models.Index(
                OpClass(Reverse(phone_number_part("phone_alt")), name="text_pattern_ops"),
                name="person_phone_alt_tail",
            ),
            models.Index(
                OpClass("name_pinyin", name="varchar_pattern_ops"), name="person_pinyin_prefix"
            ),
            models.Index(
                OpClass("name_initials", name="varchar_pattern_ops"),
                name="person_initials_prefix",
            ),
            models.Index(fields=["community", "building"], name="person_community_building"),
            models.Index(
                OpClass("building", name="varchar_pattern_ops"), name="person_building_prefix"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = hidden_character_errors(self, VISIBLE_TEXT)
        if errors:
            raise ValidationError(errors)

    @property
    def address(self) -> str:
        parts = [
            str(self.community) if self.community_id else "",
            f"{self.building}号楼" if self.building and not self.building.endswith("楼") else "",
            self.building if self.building.endswith("楼") else "",
            f"{self.unit}单元" if self.unit else "",
            f"{self.room}室" if self.room else "",
        ]
        return "".join(parts)
