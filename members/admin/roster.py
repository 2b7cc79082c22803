"""The roster (花名册): members, their duties, reveal and the member actions."""

from collections.abc import Callable
from datetime import date
from typing import Any, cast

import pghistory.models
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Model,
    Prefetch,
    QuerySet,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from unfold.admin import TabularInline
from unfold.decorators import action, display

from fuwushe.audit.access import record_sensitive_access
from fuwushe.imports.admin_views import PipelineImportMixin
from fuwushe.org.admin_base import HISTORY_LIMIT, is_center
from fuwushe.org.models import Club
from members import services
from members.admin.base import (
    SEARCH_HELP,
    PersonSearch,
    RosterAdmin,
    action_page,
    advanced_age,
    confirmed_form,
    run_for_each,
)
from members.admin.filters import AgeBandFilter, CareFilter, RoleFilter, StatusFilter
from members.forms import (
    DeathForm,
    MemberForm,
    MemberRoleForm,
    MemberRoleFormSet,
    MoveAwayForm,
    RevealForm,
    TransferForm,
)
from members.models import (
    CARE_FLAGS,
    Member,
    MemberQuerySet,
    MemberRole,
    MemberTag,
    MemberTransfer,
)
from members.privacy import SENSITIVE_FIELDS, mask_id_number, mask_phone, may_view_sensitive
from members.resources import MemberResource


class MemberRoleInline(TabularInline):
    """Duties: add a row to assign one; fill in the end date to end it (rows stay)."""

    model = MemberRole
    form = MemberRoleForm
    formset = MemberRoleFormSet
    fields = ["role", "started_on", "ended_on"]
    extra = 0
    can_delete = False
    verbose_name = "职务"
    verbose_name_plural = "三长六员（职务）"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


PERSON_FIELDSETS = [
    (
        "基本信息",
        {"fields": ["name", "gender", "ethnicity", "birth_date", "id_number", "convert_old_id"]},
    ),
    (
        "联系与住址",
        {
            "fields": [
                "phone",
                "phone_alt",
                "emergency_contact",
                "emergency_phone",
                "community",
                "building",
                "unit",
                "room",
            ]
        },
    ),
]
PARTY_FIELDS = [
    "category",
    "joined_party_on",
    "registered_on",
    "former_unit",
    "relationship_held_at",
    "relationship_organisation",
    "education",
]
CARE_FIELDS = [*CARE_FLAGS, "health_note"]
MEMBER_STATUS_FIELDS = ["status", "left_on", "died_on"]
# What a user who may only look (a department administrator) sees: masked, no inputs.
VIEW_ONLY_FIELDSETS = [
    (
        "基本信息",
        {
            "fields": [
                "person_name",
                "person_gender",
                "person_ethnicity",
                "person_birth_date",
                "age_display",
                "person_id_number",
            ]
        },
    ),
    (
        "联系与住址",
        {
            "fields": [
                "person_phone",
                "person_phone_alt",
                "person_emergency_contact",
                "person_emergency_phone",
                "person_address",
            ]
        },
    ),
    ("党员信息", {"fields": ["club", *PARTY_FIELDS, "party_age_display"]}),
    ("关怀情况", {"fields": CARE_FIELDS}),
    ("人才库", {"fields": ["tags"]}),
    ("备注", {"fields": ["notes"]}),
    ("状态", {"fields": MEMBER_STATUS_FIELDS}),
]


@admin.register(Member)
class MemberAdmin(PersonSearch, PipelineImportMixin, RosterAdmin):
    import_kind = "members"
    resource_classes = [MemberResource]
    form = MemberForm
    inlines = [MemberRoleInline]
    list_display = [
        "person_name",
        "person_gender",
        "age_display",
        "person_id_number",
        "person_phone",
        "residence",
        "category",
        "care_display",
        "roles_display",
        "status_display",
        "club",
    ]
    list_select_related = ["person", "person__community", "club"]
    list_per_page = 50
    list_filter = [
        StatusFilter,
        "club",
        "category",
        AgeBandFilter,
        CareFilter,
        "person__community",
        RoleFilter,
        "tags",
    ]
    search_fields = ["person__name"]
    search_help_text = SEARCH_HELP
    actions = ["transfer", "mark_deceased", "mark_moved_away"]

    # --- lists ---------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        members = cast(MemberQuerySet, super().get_queryset(request))
        current_roles = MemberRole.objects.current().order_by("role")
        return (
            members.with_ages()
            .with_advanced_age(threshold=advanced_age(request))
            .prefetch_related(Prefetch("roles", queryset=current_roles, to_attr="current_roles"))
        )

    @display(description="姓名", ordering="person__name_pinyin")
    def person_name(self, member: Member) -> str:
        return member.person.name

    @display(description="性别")
    def person_gender(self, member: Member) -> str:
        return member.person.get_gender_display()

    @display(description="年龄", ordering="age")
    def age_display(self, member: Member) -> str:
        age = getattr(member, "age", None)
        return "—" if age is None else f"{age} 岁"

    @display(description="党龄")
    def party_age_display(self, member: Member) -> str:
        party_age = getattr(member, "party_age", None)
        return "—" if party_age is None else f"{party_age} 年"

    @display(description="身份证号")
    def person_id_number(self, member: Member) -> str:
        return mask_id_number(member.person.id_number)

    @display(description="联系电话")
    def person_phone(self, member: Member) -> str:
        return mask_phone(member.person.phone) or "—"

    @display(description="住址", ordering="person__building")
    def residence(self, member: Member) -> str:
        person = member.person
        place = person.community.name if person.community else ""
        building = f"{person.building}号楼" if person.building.isdigit() else person.building
        return " ".join(part for part in (place, building) if part) or "—"

    @display(description="关怀情况", label=True)
    def care_display(self, member: Member) -> list[str]:
        labels = member.care_flags
        if getattr(member, "is_advanced_age", False):
            labels.append("高龄")
        return labels

    @display(description="职务")
    def roles_display(self, member: Member) -> str:
        roles = getattr(member, "current_roles", [])
        return "、".join(role.get_role_display() for role in roles) or "—"

    @display(
        description="状态",
        ordering="status",
        label={"在册": "success", "已迁出": "info", "已故": "danger"},
    )
    def status_display(self, member: Member) -> str:
        return member.get_status_display()

    # --- object pages (view-only) ----------------------------------------------------
    @display(description="民族")
    def person_ethnicity(self, member: Member) -> str:
        return member.person.ethnicity

    @display(description="出生日期")
    def person_birth_date(self, member: Member) -> date:
        return member.person.birth_date

    @display(description="备用电话")
    def person_phone_alt(self, member: Member) -> str:
        return mask_phone(member.person.phone_alt) or "—"

    @display(description="紧急联系人")
    def person_emergency_contact(self, member: Member) -> str:
        return member.person.emergency_contact or "—"

    @display(description="紧急联系人电话")
    def person_emergency_phone(self, member: Member) -> str:
        return mask_phone(member.person.emergency_phone) or "—"

    @display(description="住址")
    def person_address(self, member: Member) -> str:
        return member.person.address or "—"

    # --- forms ---------------------------------------------------------------------
    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = self._fieldsets(request, obj)
        if may_view_sensitive(request.user):
            return fieldsets
        # Health is sensitive (PIPL) like ID numbers: only for those who may see them.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "health_note"]})
            for name, options in fieldsets
        ]

    def _fieldsets(self, request: HttpRequest, obj: Any) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            return VIEW_ONLY_FIELDSETS
        party = ["club", *PARTY_FIELDS] + (["party_age_display"] if obj else [])
        fieldsets: list[tuple[str, dict[str, Any]]] = [
            *PERSON_FIELDSETS,
            ("党员信息", {"fields": party}),
            ("关怀情况", {"fields": CARE_FIELDS}),
            ("人才库", {"fields": ["tags"]}),
            ("备注", {"fields": ["notes"]}),
        ]
        if obj is not None:
            fieldsets.append(("状态", {"fields": ["age_display", *MEMBER_STATUS_FIELDS]}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        # A member changes club only by a transfer, and status only by the actions.
        return ["club", "age_display", "party_age_display", *MEMBER_STATUS_FIELDS]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Members are never deleted in practice: their status changes instead.
        return is_center(request) and super().has_delete_permission(request, obj)

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Any, inline: Any, prefix: str
    ) -> dict[str, Any]:
        return {**super().get_formset_kwargs(request, obj, inline, prefix), "user": request.user}

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Nothing left to save: the duty rows went through member_role_assign and
        member_role_end while the formset validated (MemberRoleFormSet), never formset.save()."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        if may_view_sensitive(request.user):
            extra_context["reveal_url"] = reverse(
                f"{self.admin_site.name}:members_member_reveal", args=[object_id]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    # --- history ---------------------------------------------------------------------
    def history_events(self, obj: Model) -> list[Any]:
        """The member's own events and those of their person, duties, tags and transfers."""
        member = cast(Member, obj)
        events = pghistory.models.Events.objects
        related = events.references(member).across(
            *(
                getattr(model, "pgh_event_model")  # noqa: B009 (set by pghistory)
                for model in (Member, MemberRole, MemberTag, MemberTransfer)
            )
        )
        personal = events.tracks(member.person)
        rows = [
            *related.order_by("-pgh_created_at")[:HISTORY_LIMIT],
            *personal.order_by("-pgh_created_at")[:HISTORY_LIMIT],
        ]
        rows.sort(key=lambda event: event.pgh_created_at, reverse=True)
        return rows[:HISTORY_LIMIT]

    # --- revealing ID number and phones ----------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        reveal = path(
            "<path:object_id>/reveal/",
            self.admin_site.admin_view(self.reveal_view),
            name="members_member_reveal",
        )
        return [reveal, *super().get_urls()]

    def reveal_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Show the full ID number and phones after a confirmation; log each showing."""
        if not may_view_sensitive(request.user):
            raise PermissionDenied
        member = self.get_object(request, unquote(object_id))
        if member is None:
            raise Http404("没有找到这名党员。")
        person = member.person
        form = RevealForm(request.POST if request.method == "POST" else None)
        shown: list[tuple[str, str]] = []
        if form.is_valid():
            fields = [name for name in SENSITIVE_FIELDS if getattr(person, name)]
            record_sensitive_access(
                user=request.user,
                action="reveal",
                subjects=[person],
                fields=fields,
                club_id=member.club_id,
                reason=form.cleaned_data["reason"],
                request=request,
            )
            labels = {f.name: str(f.verbose_name) for f in person._meta.fields}
            shown = [(labels[name], getattr(person, name) or "—") for name in SENSITIVE_FIELDS]
        context = {
            **self.admin_site.each_context(request),
            "title": f"查看完整信息：{person.name}",
            "opts": self.opts,
            "member": member,
            "form": form,
            "shown": shown,
            "change_url": reverse(
                f"{self.admin_site.name}:members_member_change", args=[member.pk]
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/members/member/reveal.html", context)

    # --- actions ---------------------------------------------------------------------
    def _rows(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("person", "club")

    @action(description="转到其他服务社", permissions=["change"])
    def transfer(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        form = confirmed_form(request, TransferForm)
        if not form.is_valid():
            return action_page(
                self,
                request,
                self._rows(queryset),
                form,
                title="转到其他服务社",
                intro="选中的党员将转到下面选择的服务社；对方接收之前，党员仍在本社名册中。",
                submit="提交转接申请",
            )
        to_club: Club = form.cleaned_data["to_club"]
        run_for_each(
            self,
            request,
            self._rows(queryset),
            lambda member: services.member_transfer_request(
                actor=request.user,
                member=member,
                to_club=to_club,
                reason=form.cleaned_data["reason"],
            ),
            f"已为 {{count}} 名党员提交转接申请，等待“{to_club}”接收。",
        )
        return None

    @action(description="登记去世", permissions=["change"])
    def mark_deceased(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        return self._status_action(
            request,
            queryset,
            DeathForm,
            title="登记去世",
            intro="记录保留，状态改为“已故”，不再出现在关怀名单中；现任职务同时结束。",
            write=lambda member, data: services.member_mark_deceased(
                actor=request.user, member=member, died_on=data["died_on"]
            ),
            done="已登记 {count} 名党员去世。",
        )

    @action(description="登记迁出", permissions=["change"])
    def mark_moved_away(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        return self._status_action(
            request,
            queryset,
            MoveAwayForm,
            title="登记迁出",
            intro="用于搬离本地区的党员（转到其他服务社请用“转到其他服务社”）。",
            write=lambda member, data: services.member_mark_moved_away(
                actor=request.user, member=member, left_on=data["left_on"], note=data["note"]
            ),
            done="已登记 {count} 名党员迁出。",
        )

    def _status_action(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        form_class: type[Any],
        *,
        title: str,
        intro: str,
        write: Callable[[Member, dict[str, Any]], object],
        done: str,
    ) -> HttpResponse | None:
        """Ask for the date (and note) on a confirmation page, then change each member."""
        form = confirmed_form(request, form_class)
        if not form.is_valid():
            return action_page(
                self,
                request,
                self._rows(queryset),
                form,
                title=title,
                intro=intro,
                submit="确认登记",
            )
        run_for_each(
            self, request, self._rows(queryset), lambda m: write(m, form.cleaned_data), done
        )
        return None


# --- Transfers ---------------------------------------------------------------------
