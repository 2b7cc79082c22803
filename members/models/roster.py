"""Party members on a club's roster, their duties (三长六员) and talent-pool tags."""

import calendar
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, ExpressionWrapper, F, Func, OuterRef, Q, Subquery, Value
from django.utils import timezone

from fuwushe.audit.tracking import track
from fuwushe.org.models import Club
from fuwushe.org.scoping import ScopedQuerySet
from members.models.checks import (
    birth_date_of,
    hidden_character_errors,
    record_date_errors,
    related_or_none,
)
from members.models.people import Person, person_search_q, years_before


class Category(models.TextChoices):
    RETIRED = "retired", "离退休党员"
    MOBILE = "mobile", "流动党员"
    AGREEMENT_TERMINATED = "agreement_terminated", "协解党员"
    FAMILY = "family", "家属党员"
    VETERAN = "veteran", "复转军人党员"
    UNEMPLOYED_CHILD = "unemployed_child", "待业子女党员"
    SERVING_AFTER_HOURS = "serving_after_hours", "在职党员（八小时外）"
    OTHER = "other", "其他"


class Education(models.TextChoices):
    PRIMARY = "primary", "小学及以下"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中/中专"
    COLLEGE = "college", "大专"
    BACHELOR = "bachelor", "本科"
    POSTGRADUATE = "postgraduate", "研究生"


class RelationshipHeldAt(models.TextChoices):
    FORMER_UNIT = "former_unit", "原单位"
    COMMUNITY = "community", "属地社区"
    OTHER = "other", "其他"


CARE_FLAGS = {
    "lives_alone": "独居",
    "childless": "孤寡",
    "widowed": "遗孀",
    "disabled": "残疾",
    "hardship": "特困",
}


class MemberQuerySet(ScopedQuerySet["Member"]):
    scope_club_path = "club"

    def active(self) -> "MemberQuerySet":
        return self.filter(status=Member.Status.ACTIVE)

    def in_care(self) -> "MemberQuerySet":
        """Members the club looks after: the deceased and those moved away drop out."""
        return self.active()

    def search(self, term: str, *, full_numbers: bool = False) -> "MemberQuerySet":
        return self.filter(person_search_q(term, prefix="person__", full_numbers=full_numbers))

    def with_ages(self, on: date | None = None) -> "MemberQuerySet":
        """Annotate `age` and `party_age` in whole years on a day (today by default)."""
        day = on or timezone.localdate()
        return self.annotate(
            age=_years_since("person__birth_date", day),
            party_age=_years_since("joined_party_on", day),
        )

    def aged_at_least(self, years: int, on: date | None = None) -> "MemberQuerySet":
        return self.filter(aged_at_least_q(years, on))

    def aged_under(self, years: int, on: date | None = None) -> "MemberQuerySet":
        day = on or timezone.localdate()
        return self.filter(person__birth_date__gt=years_before(day, years))

    def advanced_age(
        self, on: date | None = None, *, threshold: int | None = None
    ) -> "MemberQuerySet":
        """高龄: at or above the center's one threshold (80 by default); pass `threshold`
        when it has been read already."""
        return self.filter(advanced_age_q(threshold, on))

    def with_advanced_age(self, *, threshold: int | None = None) -> "MemberQuerySet":
        """Annotate `is_advanced_age` by the same rule as `advanced_age()`."""
        rule = ExpressionWrapper(advanced_age_q(threshold), output_field=models.BooleanField())
        return self.annotate(is_advanced_age=rule)

    def with_care_flag(self) -> "MemberQuerySet":
        q = Q()
        for flag in CARE_FLAGS:
            q |= Q(**{flag: True})
        return self.filter(q)

    def party_years_between(self, years: int, start: date, end: date) -> "MemberQuerySet":
        """Members whose `years`th party anniversary falls in [start, end] (one who joined
        on 29 February has it on 1 March in a common year)."""
        return self.filter(
            joined_party_on__gte=_first_day_reaching(start, years),
            joined_party_on__lt=_first_day_reaching(end + timedelta(days=1), years),
        )

    def golden_anniversary_between(self, start: date, end: date) -> "MemberQuerySet":
        """光荣在党50年: the 50th anniversary of joining falls in [start, end]."""
        return self.party_years_between(50, start, end)

    def political_birthday_between(self, start: date, end: date) -> "MemberQuerySet":
        """入党纪念日: the anniversary of joining (month and day) falls in [start, end]."""
        if end < start:
            return self.none()
        if (end - start).days >= 365:
            return self.filter(joined_party_on__isnull=False)
        q = Q(pk__in=[])
        day = start
        while day <= end:
            month_end = min(end, _last_of_month(day))
            last_day = month_end.day
            if month_end.month == 2 and last_day == 28 and not calendar.isleap(month_end.year):
                last_day = 29  # those who joined on 29 February celebrate on the 28th
            q |= Q(
                joined_party_on__month=day.month,
                joined_party_on__day__gte=day.day,
                joined_party_on__day__lte=last_day,
            )
            day = month_end + timedelta(days=1)
        return self.filter(q)


def _first_day_reaching(day: date, years: int) -> date:
    """The earliest date whose `years`th anniversary is on or after `day`."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return date(day.year - years, 3, 1)


def _last_of_month(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _years_since(field: str, day: date) -> Func:
    # PostgreSQL's age() counts whole calendar years, birthdays included.
    return Func(
        Func(Value(day, output_field=models.DateField()), F(field), function="age"),
        template="date_part('year', %(expressions)s)::integer",
        output_field=models.IntegerField(),
    )


def aged_at_least_q(years: int, on: date | None = None) -> Q:
    return Q(person__birth_date__lte=years_before(on or timezone.localdate(), years))


def advanced_age_q(threshold: int | None = None, on: date | None = None) -> Q:
    """The one 高龄 rule, for filters and annotations alike."""
    years = advanced_age_threshold() if threshold is None else threshold
    return aged_at_least_q(years, on)


def advanced_age_threshold() -> int:
    from fuwushe.config.registry import ADVANCED_AGE_THRESHOLD
    from fuwushe.config.selectors import config_get

    return int(config_get(ADVANCED_AGE_THRESHOLD))


@track()
class TalentTag(models.Model):
    """A talent-pool tag (人才库): 五老, 讲师, 顾问, 文体骨干, or one a club makes up."""

    name = models.CharField("名称", max_length=20, unique=True)
    is_standard = models.BooleanField("标准标签", default=False)

    class Meta:
        verbose_name = "人才库标签"
        verbose_name_plural = "人才库标签"
        ordering = ["-is_standard", "name"]

    def __str__(self) -> str:
        return self.name


@track()
class Member(models.Model):
    """A non-serving party member on a club's roster (花名册)."""

    # History pages never show a health note, to anyone.
    SENSITIVE_MASKS = {"health_note": lambda value: "（已隐藏）" if value else ""}

    class Status(models.TextChoices):
        ACTIVE = "active", "在册"
        MOVED_AWAY = "moved_away", "已迁出"
        DECEASED = "deceased", "已故"

    person = models.OneToOneField(
        Person, models.PROTECT, related_name="member", verbose_name="人员"
    )
    club = models.ForeignKey(
        Club, models.PROTECT, related_name="members", verbose_name="所属服务社"
    )
    category = models.CharField(
        "党员类别", max_length=24, choices=Category, default=Category.RETIRED
    )
    joined_party_on = models.DateField("入党时间", null=True, blank=True)
    former_unit = models.CharField("原工作单位", max_length=100, blank=True)
    relationship_held_at = models.CharField(
        "组织关系所在", max_length=12, choices=RelationshipHeldAt, blank=True
    )
    relationship_organisation = models.CharField("组织关系所在党组织", max_length=100, blank=True)
    education = models.CharField("文化程度", max_length=12, choices=Education, blank=True)
    health_note = models.TextField("健康状况", blank=True)
    lives_alone = models.BooleanField("独居", default=False)
    childless = models.BooleanField("孤寡", default=False)
    widowed = models.BooleanField("遗孀", default=False)
    disabled = models.BooleanField("残疾", default=False)
    hardship = models.BooleanField("特困", default=False)
    tags = models.ManyToManyField(
        TalentTag,
        through="MemberTag",
        blank=True,
        related_name="members",
        verbose_name="人才库标签",
    )
    status = models.CharField("状态", max_length=10, choices=Status, default=Status.ACTIVE)
    registered_on = models.DateField("登记日期", default=timezone.localdate)
    left_on = models.DateField("迁出日期", null=True, blank=True)
    died_on = models.DateField("去世日期", null=True, blank=True)
    notes = models.TextField("备注", blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["club", "person__name_pinyin", "pk"]
        constraints = [
            models.CheckConstraint(
                name="member_status_dates",
                condition=(
                    Q(status="active", left_on__isnull=True, died_on__isnull=True)
                    | Q(status="moved_away", left_on__isnull=False, died_on__isnull=True)
                    | Q(status="deceased", died_on__isnull=False)
                ),
                violation_error_message="状态与日期不符：已迁出须有迁出日期，已故须有去世日期。",
            ),
        ]
        indexes = [
            models.Index(fields=["club", "status"], name="member_club_status"),
            models.Index(fields=["joined_party_on"], name="member_joined_party_on"),
        ]

    def __str__(self) -> str:
        return self.person.name

    def clean(self) -> None:
        born = birth_date_of(self, "person")
        errors = {
            **hidden_character_errors(self, ("former_unit", "relationship_organisation")),
            **record_date_errors(self, ("registered_on", "left_on", "died_on"), born=born),
        }
        if errors:
            raise ValidationError(errors)

    @property
    def care_flags(self) -> list[str]:
        return [label for flag, label in CARE_FLAGS.items() if getattr(self, flag)]


@track()
class MemberTag(models.Model):
    """A member's talent-pool tag; its own model so that tagging is in the audit history."""

    member = models.ForeignKey(Member, models.CASCADE, verbose_name="党员")
    tag = models.ForeignKey(TalentTag, models.PROTECT, verbose_name="标签")

    class Meta:
        verbose_name = "人才库标签"
        verbose_name_plural = "人才库标签"
        constraints = [
            models.UniqueConstraint(fields=["member", "tag"], name="member_tag_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.tag_id}"


class MemberRoleQuerySet(ScopedQuerySet["MemberRole"]):
    scope_club_path = "member__club"

    def current(self, on: date | None = None) -> "MemberRoleQuerySet":
        day = on or timezone.localdate()
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day), started_on__lte=day)


@track()
class MemberRole(models.Model):
    """A 三长 or 六员 duty a member holds, from when to when."""

    class Role(models.TextChoices):
        PATROL_CAPTAIN = "patrol_captain", "巡逻队长"
        VOLUNTEER_CAPTAIN = "volunteer_captain", "志愿队长"
        CULTURE_CAPTAIN = "culture_captain", "文体队长"
        PUBLICITY = "publicity", "宣传员"
        SECURITY = "security", "治安员"
        ENVIRONMENT = "environment", "环境员"
        MEDIATION = "mediation", "调解员"
        LIAISON = "liaison", "联络员"
        EDUCATION = "education", "教育员"

    THREE_CAPTAINS = (Role.PATROL_CAPTAIN, Role.VOLUNTEER_CAPTAIN, Role.CULTURE_CAPTAIN)

    member = models.ForeignKey(Member, models.CASCADE, related_name="roles", verbose_name="党员")
    role = models.CharField("职务", max_length=20, choices=Role)
    started_on = models.DateField("开始日期", default=timezone.localdate)
    ended_on = models.DateField("结束日期", null=True, blank=True)

    objects = MemberRoleQuerySet.as_manager()

    class Meta:
        verbose_name = "三长六员"
        verbose_name_plural = "三长六员"
        ordering = ["role", "-started_on"]
        constraints = [
            models.CheckConstraint(
                name="member_role_ends_after_it_starts",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                violation_error_message="结束日期不能早于开始日期。",
            ),
            models.UniqueConstraint(
                fields=["member", "role"],
                condition=Q(ended_on__isnull=True),
                name="member_role_one_open",
                violation_error_message="该党员已担任此职务（未结束），不能重复登记。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_role_display()}"

    def clean(self) -> None:
        member = related_or_none(self, "member")
        born = birth_date_of(member, "person") if member is not None else None
        errors = record_date_errors(self, ("started_on", "ended_on"), born=born)
        if errors:
            raise ValidationError(errors)


def members_headcount() -> Subquery:
    """Active members of the club at OuterRef("pk"), for the staffing rule."""
    return Subquery(
        Member.objects.filter(club=OuterRef("pk"), status=Member.Status.ACTIVE)
        .order_by()
        .values("club")
        .annotate(n=Count("pk"))
        .values("n")
    )
