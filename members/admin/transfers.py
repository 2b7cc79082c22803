"""Member transfers between clubs: both sides see them; the receiving club decides."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import (
    Exists,
    OuterRef,
    QuerySet,
)
from django.http import HttpRequest, HttpResponse
from unfold.decorators import action, display

from fuwushe.org.admin_base import ScopedAdmin, is_center
from fuwushe.org.models import Club, User
from members import services
from members.admin.base import (
    OTHER_STAFF,
    SEARCH_HELP,
    PersonSearch,
    action_page,
    confirmed_form,
    run_for_each,
)
from members.admin.filters import DefaultStatusFilter
from members.forms import (
    DecisionForm,
)
from members.models import (
    MemberTransfer,
)


class TransferStatusFilter(DefaultStatusFilter):
    """Pending transfers first: they are the ones waiting for someone."""

    statuses = MemberTransfer.Status
    default = MemberTransfer.Status.PENDING


class DirectionFilter(admin.SimpleListFilter):
    title = "方向"
    parameter_name = "direction"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        if is_center(request):
            return []
        return [("in", "转入本社"), ("out", "转出本社")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        mine = Club.objects.for_user(request.user).values("pk")
        if self.value() == "in":
            return queryset.filter(to_club__in=mine)
        if self.value() == "out":
            return queryset.filter(from_club__in=mine)
        return queryset


@admin.register(MemberTransfer)
class MemberTransferAdmin(PersonSearch, ScopedAdmin):
    """Transfers are made by the member action and decided here; never edited by hand."""

    list_display = [
        "member_name",
        "from_club",
        "to_club",
        "status",
        "requester",
        "requested_at",
        "decider",
        "decided_at",
    ]
    list_select_related = ["member__person", "from_club", "to_club", "requested_by", "decided_by"]
    list_filter = [TransferStatusFilter, DirectionFilter]
    search_fields = ["member__person__name"]
    search_help_text = SEARCH_HELP
    actions = ["accept", "decline", "withdraw"]
    fields = [
        "member_name",
        "from_club",
        "to_club",
        "reason",
        "status",
        "requester",
        "requested_at",
        "decider",
        "decided_at",
        "decision_note",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Staff are scoped records too: the other side's staff are named by their side only.
        staff = User.objects.for_user(request.user)
        return (
            super()
            .get_queryset(request)
            .annotate(
                requester_visible=Exists(staff.filter(pk=OuterRef("requested_by"))),
                decider_visible=Exists(staff.filter(pk=OuterRef("decided_by"))),
            )
        )

    @display(description="申请人")
    def requester(self, transfer: MemberTransfer) -> str:
        if getattr(transfer, "requester_visible", False):
            return str(transfer.requested_by.get_full_name() or transfer.requested_by)
        return OTHER_STAFF

    @display(description="处理人")
    def decider(self, transfer: MemberTransfer) -> str:
        if transfer.decided_by_id is None:
            return "—"
        if getattr(transfer, "decider_visible", False) and transfer.decided_by is not None:
            return str(transfer.decided_by.get_full_name() or transfer.decided_by)
        return OTHER_STAFF

    person_prefix = "member__person__"

    @display(description="党员", ordering="member__person__name_pinyin")
    def member_name(self, transfer: MemberTransfer) -> str:
        return transfer.member.person.name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The actions need "change"; the page of one transfer is read-only for everyone.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _decide(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        *,
        title: str,
        intro: str,
        write: Callable[[MemberTransfer, str], object],
        done: str,
    ) -> HttpResponse | None:
        rows = queryset.select_related("member__person", "from_club", "to_club")
        form = confirmed_form(request, DecisionForm)
        if not form.is_valid():
            return action_page(
                self, request, rows, form, title=title, intro=intro, submit=f"确认{title}"
            )
        run_for_each(
            self, request, rows, lambda transfer: write(transfer, form.cleaned_data["note"]), done
        )
        return None

    @action(description="接收", permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        return self._decide(
            request,
            queryset,
            title="接收",
            intro="接收后，党员转入本社名册，原服务社不再看到其信息；原有职务同时结束。",
            write=lambda transfer, note: services.member_transfer_accept(
                actor=request.user, transfer=transfer, note=note
            ),
            done="已接收 {count} 名党员。",
        )

    @action(description="退回", permissions=["change"])
    def decline(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        return self._decide(
            request,
            queryset,
            title="退回",
            intro="由接收方退回转接申请，党员仍留在原服务社。请填写退回原因。",
            write=lambda transfer, note: services.member_transfer_decline(
                actor=request.user, transfer=transfer, note=note
            ),
            done="已退回 {count} 个转接申请。",
        )

    @action(description="撤回", permissions=["change"])
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        return self._decide(
            request,
            queryset,
            title="撤回",
            intro="由转出方撤回尚未接收的转接申请，党员仍留在本社。",
            write=lambda transfer, note: services.member_transfer_decline(
                actor=request.user, transfer=transfer, note=note, cancel=True
            ),
            done="已撤回 {count} 个转接申请。",
        )


# --- Party applicants ----------------------------------------------------------------
