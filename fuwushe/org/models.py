"""The organisation: center → departments → clubs → communities, and who works where."""

from datetime import date

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fuwushe.audit.tracking import track
from fuwushe.org.scoping import M, Scope, ScopedQuerySet


class Level(models.TextChoices):
    CENTER = "center", "管理中心"
    DEPARTMENT = "department", "老年服务部"
    CLUB = "club", "党员服务社"


class UserQuerySet(ScopedQuerySet["User"]):
    def for_scope(self, scope: Scope) -> "UserQuerySet":
        # A user belongs where their current posting is; one without belongs to the center.
        if scope.is_center:
            return self
        postings = StaffPosting.objects.current().for_scope(scope)
        return self.filter(pk__in=postings.values("user_id"))


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


@track(exclude=["password", "last_login"])
class User(AbstractUser):
    """A staff account; where it sits in the organisation is recorded by staff postings."""

    must_change_password = models.BooleanField(
        "下次登录须修改密码",
        default=False,
        help_text="管理员重置密码后自动勾选，本人修改密码后取消。",
    )

    objects = ScopedUserManager()  # type: ignore[misc]

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        full_name = self.get_full_name()
        return f"{full_name}（{self.username}）" if full_name else self.username

    def get_full_name(self) -> str:
        # Chinese names are family name first, without a space.
        return f"{self.last_name}{self.first_name}".strip()

    def set_password(self, raw_password: str | None) -> None:
        # Choosing one's own password ends the obligation to change a temporary one;
        # staff_password_reset sets it again after calling this.
        super().set_password(raw_password)
        self.must_change_password = False


class DepartmentQuerySet(ScopedQuerySet["Department"]):
    scope_department_path = "pk"


@track()
class Department(models.Model):
    """An elderly service department (老年服务部) with its party branch; it runs a set of clubs."""

    code = models.CharField("编号", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100, unique=True)
    branch_name = models.CharField("党支部名称", max_length=100, blank=True)
    is_active = models.BooleanField("在用", default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = "老年服务部"
        verbose_name_plural = "老年服务部"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ClubQuerySet(ScopedQuerySet["Club"]):
    scope_club_path = "pk"
    scope_department_path = "department"

    def active(self) -> "ClubQuerySet":
        return self.filter(status=Club.Status.ACTIVE)


@track()
class Club(models.Model):
    """A party member service club (党员服务社), one per community or group of communities."""

    class Status(models.TextChoices):
        ACTIVE = "active", "运行中"
        MERGED = "merged", "已合并"
        CLOSED = "closed", "已撤销"

    code = models.CharField("编号", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100, unique=True)
    department = models.ForeignKey(
        Department, models.PROTECT, related_name="clubs", verbose_name="所属老年服务部"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    city = models.CharField("市", max_length=50, blank=True)
    county = models.CharField("区县", max_length=50, blank=True)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status, default=Status.ACTIVE)
    merged_into = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_clubs",
        verbose_name="并入服务社",
    )
    merged_on = models.DateField("合并日期", null=True, blank=True)
    elderly_station = models.CharField(
        "依托老年站", max_length=100, blank=True, help_text="与老年站交叉任职时填写老年站名称。"
    )
    notes = models.TextField("备注", blank=True)

    objects = ClubQuerySet.as_manager()

    class Meta:
        verbose_name = "党员服务社"
        verbose_name_plural = "党员服务社"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="club_merge_is_complete",
                condition=(
                    Q(status="merged", merged_into__isnull=False, merged_on__isnull=False)
                    | (~Q(status="merged") & Q(merged_into__isnull=True))
                ),
                violation_error_message="已合并的服务社须填写并入的服务社和合并日期；其他状态不能填写并入服务社。",
            ),
            models.CheckConstraint(
                name="club_not_merged_into_itself",
                condition=~Q(merged_into=models.F("pk")),
                violation_error_message="服务社不能并入自己。",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CommunityQuerySet(ScopedQuerySet["Community"]):
    scope_club_path = "club"
    scope_department_path = "club__department"


@track()
class Community(models.Model):
    """A residential community (小区) and the club that serves it."""

    name = models.CharField("名称", max_length=100)
    club = models.ForeignKey(
        Club, models.PROTECT, related_name="communities", verbose_name="服务的党员服务社"
    )
    city = models.CharField("市", max_length=50, blank=True)
    county = models.CharField("区县", max_length=50, blank=True)
    households = models.PositiveIntegerField("户数", null=True, blank=True)
    # Old or colloquial names ledgers use for it, matched like the name (org/communities.py).
    aliases = ArrayField(
        models.CharField(max_length=100),
        verbose_name="其他写法",
        default=list,
        blank=True,
        help_text="台账里对这个小区的其他叫法（旧名、简称），多个用逗号分开。",
    )

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = "小区"
        verbose_name_plural = "小区"
        ordering = ["club__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["city", "county", "name"],
                name="community_unique_name_per_county",
                violation_error_message="同一区县已有同名小区。",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # One written name must point at one community of the club, whichever path saves.
        from fuwushe.org.services import ensure_aliases_free

        if self.club_id is not None:
            ensure_aliases_free(self, self.aliases or [])


@track()
class AreaCode(models.Model):
    """A city's telephone area code: a local number written without one takes its club's.

    Data the center extends, not a table in code; no owner, so only the center edits it.
    """

    city = models.CharField("市", max_length=50, unique=True, help_text="如“东营市”。")
    code = models.CharField(
        "区号",
        max_length=4,
        validators=[RegexValidator(r"^0\d{2,3}$", "区号应为 0 开头的 3 或 4 位数字，如 0546。")],
    )

    class Meta:
        verbose_name = "电话区号"
        verbose_name_plural = "电话区号"
        ordering = ["city"]

    def __str__(self) -> str:
        return f"{self.city} {self.code}"


class StaffPostingQuerySet(ScopedQuerySet["StaffPosting"]):
    scope_club_path = "club"
    scope_department_path = "department"

    def current(self, on: date | None = None) -> "StaffPostingQuerySet":
        day = on or timezone.localdate()
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day), started_on__lte=day)


@track()
class StaffPosting(models.Model):
    """Where a user works, in which role, from when to when (交叉任职 recorded here too)."""

    class Role(models.TextChoices):
        CENTER_ADMIN = "center_admin", "中心管理员"
        DEPARTMENT_ADMIN = "department_admin", "服务部管理员"
        DIRECTOR = "director", "主任"
        DEPUTY = "deputy", "副主任"
        FULL_TIME = "full_time", "专职工作人员"
        PART_TIME = "part_time", "兼职工作人员"

    user = models.ForeignKey(User, models.CASCADE, related_name="postings", verbose_name="用户")
    level = models.CharField("层级", max_length=12, choices=Level)
    department = models.ForeignKey(
        Department,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="postings",
        verbose_name="老年服务部",
    )
    club = models.ForeignKey(
        Club,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="postings",
        verbose_name="党员服务社",
    )
    role = models.CharField("岗位", max_length=20, choices=Role)
    started_on = models.DateField("任职开始", default=timezone.localdate)
    ended_on = models.DateField("任职结束", null=True, blank=True)
    elderly_station = models.CharField(
        "交叉任职老年站", max_length=100, blank=True, help_text="同时在老年站任职时填写。"
    )

    objects = StaffPostingQuerySet.as_manager()

    class Meta:
        verbose_name = "任职"
        verbose_name_plural = "任职"
        ordering = ["-started_on"]
        constraints = [
            models.CheckConstraint(
                name="posting_level_matches_place",
                condition=(
                    Q(level="center", department__isnull=True, club__isnull=True)
                    | Q(level="department", department__isnull=False, club__isnull=True)
                    | Q(level="club", department__isnull=True, club__isnull=False)
                ),
                violation_error_message="任职层级与单位不符：中心不填单位，服务部只填服务部，服务社只填服务社。",
            ),
            models.CheckConstraint(
                name="posting_role_matches_level",
                condition=(
                    Q(level="center", role="center_admin")
                    | Q(level="department", role="department_admin")
                    | Q(level="club", role__in=["director", "deputy", "full_time", "part_time"])
                ),
                violation_error_message="岗位与层级不符。",
            ),
            models.CheckConstraint(
                name="posting_ends_after_it_starts",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                violation_error_message="任职结束日期不能早于开始日期。",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(ended_on__isnull=True),
                name="one_open_posting_per_user",
                violation_error_message="该用户已有一个未结束的任职，请先结束原任职。",
            ),
        ]

    def __str__(self) -> str:
        place = self.club or self.department or Level.CENTER.label
        return f"{self.user} · {place} · {self.get_role_display()}"


class OwnedQuerySet(ScopedQuerySet[M]):
    scope_club_path = "club"
    scope_department_path = "department"


class OwnedByClubOrDepartment(models.Model):
    """A record that belongs to a club, to a department, or (with neither) to the center."""

    club = models.ForeignKey(
        Club, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="所属服务社"
    )
    department = models.ForeignKey(
        Department,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="所属服务部",
    )

    class Meta:
        abstract = True
