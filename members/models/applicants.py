"""Party applicants (入党申请人) through a club, stage by stage."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from fuwushe.audit.tracking import track
from fuwushe.org.models import Club
from fuwushe.org.scoping import Scope, ScopedQuerySet
from members.models.checks import birth_date_of, record_date_errors
from members.models.people import Person


class ApplicantQuerySet(ScopedQuerySet["PartyApplicant"]):
    """An application in progress belongs to its club; a finished one follows the member it
    made (after a transfer, the old club no longer sees the person through it)."""

    scope_club_path = "club"

    def scope_q(self, scope: Scope) -> Q | None:
        if scope.is_center:
            return None
        clubs = Club.objects.for_scope(scope).values("pk")
        return (~Q(stage="full") & Q(club__in=clubs)) | Q(
            stage="full", person__member__club__in=clubs
        )

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

    def clean(self) -> None:
        born = birth_date_of(self, "person")
        errors = record_date_errors(self, self.STAGE_DATES.values(), born=born)
        if errors:
            raise ValidationError(errors)
