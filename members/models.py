"""People and the roles they hold: party members, their duties and tags, party applicants."""

import calendar
from datetime import date, timedelta

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Count, F, Func, OuterRef, Q, Subquery, Value
from django.db.models.functions import Reverse
from django.db.models.lookups import StartsWith
from django.utils import timezone

from fuwushe.audit.tracking import track
from fuwushe.org.models import Club, Community
from fuwushe.org.scoping import Scope, ScopedQuerySet
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
        members = Member.objects.for_scope(scope).values("person_id")
        applicants = PartyApplicant.objects.for_scope(scope).values("person_id")
        return Q(pk__in=members) | Q(pk__in=applicants)

    def search(self, term: str, *, full_numbers: bool = False) -> "PersonQuerySet":
        return self.filter(person_search_q(term, prefix="", full_numbers=full_numbers))


# Digits up to this long may be a building number as well as the end of a number.
SHORT_NUMBER = 4


def person_search_q(term: str, *, prefix: str, full_numbers: bool = False) -> Q:
    """Name, pinyin (full or initials), ID number or phone tail, building — all indexed.

    Digits search the end of ID numbers and phones; Latin letters the pinyin from its
    start; anything else the name, the building and the community. Unless `full_numbers`
    (the user may see numbers in full), only the last SHORT_NUMBER digits typed are
    matched: otherwise longer and longer endings would spell out a masked number.
    """
    term = "".join(term.split())
    if not term:
        return Q()
    if term.isdigit() or (term[:-1].isdigit() and term[-1] in "xX"):
        # "Ends with" as "the reversed value starts with", which a B-tree index serves.
        tail = term if full_numbers else term[-SHORT_NUMBER:]
        backwards = Value(tail.upper()[::-1])
        tails = (
            Q(StartsWith(Reverse(f"{prefix}id_number"), backwards))
            | Q(StartsWith(Reverse(f"{prefix}phone"), backwards))
            | Q(StartsWith(Reverse(f"{prefix}phone_alt"), backwards))
        )
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
    return (
        Q(**{f"{prefix}name__contains": term})
        | Q(**{f"{prefix}building__startswith": term})
        | Q(**{f"{prefix}community_id__in": communities})
    )


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
            # A trigram index serves "contains" on the name; reversed-value B-tree indexes
            # serve "ends with" on the numbers (cheaper to write than trigrams on digits).
            GinIndex(OpClass("name", name="gin_trgm_ops"), name="person_name_trgm"),
            models.Index(
                OpClass(Reverse("id_number"), name="text_pattern_ops"), name="person_id_number_tail"
            ),
            models.Index(
                OpClass(Reverse("phone"), name="text_pattern_ops"), name="person_phone_tail"
            ),
            models.Index(
                OpClass(Reverse("phone_alt"), name="text_pattern_ops"), name="person_phone_alt_tail"
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
        day = on or timezone.localdate()
        return self.filter(person__birth_date__lte=years_before(day, years))

    def aged_under(self, years: int, on: date | None = None) -> "MemberQuerySet":
        day = on or timezone.localdate()
        return self.filter(person__birth_date__gt=years_before(day, years))

    def advanced_age(self, on: date | None = None) -> "MemberQuerySet":
        """高龄: at or above the center's one threshold (80 by default)."""
        return self.aged_at_least(advanced_age_threshold(), on)

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


class TransferQuerySet(ScopedQuerySet["MemberTransfer"]):
    """Both the sending and the receiving club see a transfer."""

    def scope_q(self, scope: Scope) -> Q | None:
        if scope.is_center:
            return None
        clubs = Club.objects.for_scope(scope).values("pk")
        return Q(from_club__in=clubs) | Q(to_club__in=clubs)

    def pending(self) -> "TransferQuerySet":
        return self.filter(status=MemberTransfer.Status.PENDING)


@track()
class MemberTransfer(models.Model):
    """A member moving to another club: requested, then accepted by the receiving club."""

    class Status(models.TextChoices):
        PENDING = "pending", "待接收"
        ACCEPTED = "accepted", "已接收"
        REJECTED = "rejected", "已退回"
        CANCELLED = "cancelled", "已撤回"

    member = models.ForeignKey(
        Member, models.CASCADE, related_name="transfers", verbose_name="党员"
    )
    from_club = models.ForeignKey(
        Club, models.PROTECT, related_name="transfers_out", verbose_name="转出服务社"
    )
    to_club = models.ForeignKey(
        Club, models.PROTECT, related_name="transfers_in", verbose_name="转入服务社"
    )
    reason = models.CharField("转接原因", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status, default=Status.PENDING)
    requested_by = models.ForeignKey(
        "org.User", models.PROTECT, related_name="+", verbose_name="申请人"
    )
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    decided_by = models.ForeignKey(
        "org.User", models.PROTECT, null=True, blank=True, related_name="+", verbose_name="处理人"
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    decision_note = models.CharField("处理意见", max_length=200, blank=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = "党员转接"
        verbose_name_plural = "党员转接"
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                name="transfer_to_another_club",
                condition=~Q(from_club=F("to_club")),
                violation_error_message="转入服务社不能与转出服务社相同。",
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="pending"),
                name="transfer_one_pending_per_member",
                violation_error_message="该党员已有一个待接收的转接申请。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}：{self.from_club} → {self.to_club}"


class ApplicantQuerySet(ScopedQuerySet["PartyApplicant"]):
    scope_club_path = "club"

    def open(self) -> "ApplicantQuerySet":
        return self.exclude(stage=PartyApplicant.Stage.FULL)


@track()
class PartyApplicant(models.Model):
    """Someone who handed in a party application (入党申请书) through a club, and how far along."""

    class Stage(models.TextChoices):
        APPLICANT = "applicant", "入党申请人"
        ACTIVIST = "activist", "入党积极分子"
        CANDIDATE = "candidate", "发展对象"
        PROBATIONARY = "probationary", "预备党员"
        FULL = "full", "正式党员"

    # Each stage and the date that must be set once it is reached.
    STAGE_DATES = {
        Stage.APPLICANT: "applied_on",
        Stage.ACTIVIST: "activist_on",
        Stage.CANDIDATE: "candidate_on",
        Stage.PROBATIONARY: "probationary_on",
        Stage.FULL: "full_member_on",
    }

    person = models.ForeignKey(
        Person, models.PROTECT, related_name="applications", verbose_name="人员"
    )
    club = models.ForeignKey(
        Club, models.PROTECT, related_name="applicants", verbose_name="所属服务社"
    )
    stage = models.CharField("阶段", max_length=12, choices=Stage, default=Stage.APPLICANT)
    applied_on = models.DateField("递交申请书日期")
    activist_on = models.DateField("确定为积极分子日期", null=True, blank=True)
    candidate_on = models.DateField("确定为发展对象日期", null=True, blank=True)
    probationary_on = models.DateField("接收为预备党员日期", null=True, blank=True)
    full_member_on = models.DateField("转为正式党员日期", null=True, blank=True)
    notes = models.TextField("备注", blank=True)

    objects = ApplicantQuerySet.as_manager()

    class Meta:
        verbose_name = "入党申请人"
        verbose_name_plural = "入党申请人"
        ordering = ["-applied_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=~Q(stage="full"),
                name="applicant_one_open_per_person",
                violation_error_message="此人已有一份在办的入党申请。",
            ),
            models.CheckConstraint(
                name="applicant_stage_has_its_dates",
                condition=(
                    Q(stage="applicant")
                    | Q(stage="activist", activist_on__isnull=False)
                    | Q(stage="candidate", activist_on__isnull=False, candidate_on__isnull=False)
                    | Q(
                        stage="probationary",
                        activist_on__isnull=False,
                        candidate_on__isnull=False,
                        probationary_on__isnull=False,
                    )
                    | Q(
                        stage="full",
                        activist_on__isnull=False,
                        candidate_on__isnull=False,
                        probationary_on__isnull=False,
                        full_member_on__isnull=False,
                    )
                ),
                violation_error_message="所处阶段及之前各阶段的日期都须填写。",
            ),
            models.CheckConstraint(
                name="applicant_dates_in_order",
                condition=(
                    (Q(activist_on__isnull=True) | Q(activist_on__gte=F("applied_on")))
                    & (Q(candidate_on__isnull=True) | Q(candidate_on__gte=F("activist_on")))
                    & (Q(probationary_on__isnull=True) | Q(probationary_on__gte=F("candidate_on")))
                    & (Q(full_member_on__isnull=True) | Q(full_member_on__gte=F("probationary_on")))
                ),
                violation_error_message=(
                    "各阶段日期须按先后顺序：申请 → 积极分子 → 发展对象 → 预备党员 → 正式党员。"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_stage_display()}"


def members_headcount() -> Subquery:
    """Active members of the club at OuterRef("pk"), for the staffing rule."""
    return Subquery(
        Member.objects.filter(club=OuterRef("pk"), status=Member.Status.ACTIVE)
        .order_by()
        .values("club")
        .annotate(n=Count("pk"))
        .values("n")
    )
