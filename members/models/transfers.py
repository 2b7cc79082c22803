"""A member moving to another club: requested, then accepted by the receiving club."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from fuwushe.audit.tracking import track
from fuwushe.org.models import Club
from fuwushe.org.scoping import Scope, ScopedQuerySet
from members.models.roster import Member


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
