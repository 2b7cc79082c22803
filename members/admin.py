"""The members registry in the admin: roster, transfers, party applicants and tags.

Every write goes through `members.services`; every list and object through `for_user`
(ScopedAdmin). ID numbers and phones are masked on every page for everyone; showing
them in full is the explicit, logged "reveal" page.
"""

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, cast

import pghistory.models
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import csrf_protect_m
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextChoices,
)
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display

from fuwushe.audit.access import record_sensitive_access
from fuwushe.org.admin_base import HISTORY_LIMIT, ScopedAdmin
from fuwushe.org.models import Club, User
from fuwushe.org.scoping import CLUB, scope_for
from members import services
from members.forms import (
    AdvanceForm,
    ApplicantForm,
    DeathForm,
    DecisionForm,
    MemberForm,
    MemberRoleForm,
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
    PartyApplicant,
    TalentTag,
    advanced_age_threshold,
    person_search_q,
    years_before,
)
from members.privacy import SENSITIVE_FIELDS, mask_id_number, mask_phone, may_view_sensitive

SEARCH_HELP = "姓名、拼音首字母、身份证或电话后几位、楼号"
OTHER_STAFF = "对方单位工作人员"
CONFIRM = "confirm"


def advanced_age(request: HttpRequest) -> int:
    """The 高龄 threshold, read once per request (it is the center's one setting)."""
    cached = getattr(request, "_fuwushe_advanced_age", None)
    if cached is None:
        cached = advanced_age_threshold()
        request._fuwushe_advanced_age = cached  # type: ignore[attr-defined]
    return int(cached)


def is_club_user(request: HttpRequest) -> bool:
    return scope_for(request.user).level == CLUB


def is_center(request: HttpRequest) -> bool:
    return scope_for(request.user).is_center


def error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or "您无权进行此操作。"


class PersonSearch:
    """Search rows by their person through the one indexed search (name, pinyin, number
    endings, building); longer number endings only for those who may see numbers."""

    person_prefix = "person__"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        full_numbers = may_view_sensitive(request.user)
        q = person_search_q(search_term, prefix=self.person_prefix, full_numbers=full_numbers)
        return queryset.filter(q), False


class ServiceRefused(Exception):
    """A service refused a write after the form was valid (a duty row, say)."""


SAVED = "_fuwushe_saved"


class RosterAdmin(ScopedAdmin):
    """A club roster's admin (members, applicants), whose form saves through the services
    while it validates.

    A service's error is then an ordinary form error. Because validating may already have
    written, a POST that does not end in a save (the page is shown again with errors) is
    rolled back, as is one where a later step (an inline row) is refused.
    """

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)

        class UserForm(form):  # type: ignore[valid-type, misc]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, user=request.user, **kw)

        return UserForm

    @csrf_protect_m
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return self._changeform_view(request, object_id, form_url, extra_context)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                response = self._changeform_view(request, object_id, form_url, extra_context)
                if not getattr(request, SAVED, False):
                    transaction.set_rollback(True)
                return response
        except ServiceRefused as exc:
            self.message_user(request, f"没有保存：{exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_list_display(self, request: HttpRequest) -> Any:
        # A club's own staff know which club they are in: no club column or filter.
        shown = list(super().get_list_display(request))
        return [c for c in shown if c != "club"] if is_club_user(request) else shown

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)
        if not is_club_user(request):
            return filters
        return [f for f in filters if not (isinstance(f, tuple) and f[0] == "club")]

    def get_actions(self, request: HttpRequest) -> Any:
        # Records leave the roster by a status, never by deleting many at once.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The form saved the record through the services while it was validated.
        setattr(request, SAVED, True)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Tags were saved by the service; only the inlines are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


def run_for_each(
    model_admin: ModelAdmin,
    request: HttpRequest,
    rows: Iterable[Any],
    write: Callable[[Any], object],
    done: str,
) -> None:
    """Apply a service to each selected row; report the count done and each refusal."""
    succeeded = 0
    for row in rows:
        try:
            write(row)
        except (ValidationError, PermissionDenied) as exc:
            model_admin.message_user(request, f"{row}：{error_text(exc)}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        model_admin.message_user(request, done.format(count=succeeded), messages.SUCCESS)


def action_page(
    model_admin: ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    form: Any,
    *,
    title: str,
    intro: str,
    submit: str,
) -> TemplateResponse:
    """The confirmation page of an action that needs a date, a club or a note."""
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "submit": submit,
        "form": form,
        "objects": list(queryset),
        "action_name": request.POST.get("action", ""),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "opts": opts,
        "confirm": CONFIRM,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/members/action_confirmation.html", context)


def confirmed_form(request: HttpRequest, form_class: type[Any]) -> Any:
    """The action's form, bound only once the confirmation page was submitted."""
    data = request.POST if CONFIRM in request.POST else None
    return form_class(data, request=request)


# --- Members -----------------------------------------------------------------------


class DefaultStatusFilter(admin.SimpleListFilter):
    """A status filter that applies its default until asked otherwise, like an "active"
    filter; "全部" shows every status."""

    title = "状态"
    parameter_name = "status"
    ALL = "all"
    statuses: type[TextChoices]
    default: str

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*self.statuses.choices, (self.ALL, "全部")]

    def current(self) -> str:
        return str(self.value() or self.default)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.current() == self.ALL:
            return queryset
        return queryset.filter(status=self.current())

    def choices(self, changelist: Any) -> Iterator[Any]:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.current() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class StatusFilter(DefaultStatusFilter):
    statuses = Member.Status
    default = Member.Status.ACTIVE


AGE_BANDS: dict[str, tuple[str, int | None, int | None]] = {
    "under60": ("60岁以下", None, 60),
    "60": ("60–69岁", 60, 70),
    "70": ("70–79岁", 70, 80),
    "80": ("80–89岁", 80, 90),
    "90": ("90岁及以上", 90, None),
}
ADVANCED = "advanced"


class AgeBandFilter(admin.SimpleListFilter):
    title = "年龄段"
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        bands = [(key, label) for key, (label, _, _) in AGE_BANDS.items()]
        return [*bands, (ADVANCED, f"高龄（{advanced_age(request)}岁及以上）")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        members = cast(MemberQuerySet, queryset)
        value = self.value()
        if value == ADVANCED:
            return members.aged_at_least(advanced_age(request))
        if value not in AGE_BANDS:
            return members
        _, lowest, below = AGE_BANDS[value]
        if lowest is not None:
            members = members.aged_at_least(lowest)
        if below is not None:
            members = members.aged_under(below)
        return members


class CareFilter(admin.SimpleListFilter):
    title = "关怀情况"
    parameter_name = "care"
    ANY = "any"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*CARE_FLAGS.items(), (ADVANCED, "高龄"), (self.ANY, "任一关怀情况")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        members = cast(MemberQuerySet, queryset)
        if value in CARE_FLAGS:
            return members.filter(**{value: True})
        cutoff = years_before(timezone.localdate(), advanced_age(request))
        if value == ADVANCED:
            return members.filter(person__birth_date__lte=cutoff)
        if value == self.ANY:
            flagged = Q(person__birth_date__lte=cutoff)
            for flag in CARE_FLAGS:
                flagged |= Q(**{flag: True})
            return members.filter(flagged)
        return members


class RoleFilter(admin.SimpleListFilter):
    title = "三长六员（现任）"
    parameter_name = "role"
    CAPTAINS = "captains"
    SIX = "six"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (self.CAPTAINS, "任一三长"),
            (self.SIX, "任一六员"),
            *MemberRole.Role.choices,
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        captains = [str(role) for role in MemberRole.THREE_CAPTAINS]
        if value == self.CAPTAINS:
            roles = captains
        elif value == self.SIX:
            roles = [role for role in MemberRole.Role.values if role not in captains]
        elif value in MemberRole.Role.values:
            roles = [value]
        else:
            return queryset
        holders = MemberRole.objects.current().filter(role__in=roles).values("member_id")
        return queryset.filter(pk__in=holders)


class MemberRoleInline(TabularInline):
    """Duties: add a row to assign one; fill in the end date to end it (rows stay)."""

    model = MemberRole
    form = MemberRoleForm
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
class MemberAdmin(PersonSearch, RosterAdmin):
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
        cutoff = years_before(timezone.localdate(), advanced_age(request))
        current_roles = MemberRole.objects.current().order_by("role")
        return (
            members.with_ages()
            .annotate(
                is_advanced_age=ExpressionWrapper(
                    Q(person__birth_date__lte=cutoff), output_field=BooleanField()
                )
            )
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

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Duty rows go through member_role_assign / member_role_end, never formset.save()."""
        member = form.instance
        # What formset.save() would have recorded, for the admin's change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            if not row.has_changed():
                continue
            try:
                self._save_duty(request, member, row, formset)
            except (ValidationError, PermissionDenied) as exc:
                raise ServiceRefused(error_text(exc)) from exc

    def _save_duty(self, request: HttpRequest, member: Member, row: Any, formset: Any) -> None:
        data = row.cleaned_data
        if row.instance.pk is None:
            assignment = services.member_role_assign(
                actor=request.user, member=member, role=data["role"], started_on=data["started_on"]
            )
            if data.get("ended_on"):
                services.member_role_end(
                    actor=request.user, assignment=assignment, ended_on=data["ended_on"]
                )
            formset.new_objects.append(assignment)
        elif "ended_on" in row.changed_data and data.get("ended_on"):
            assignment = services.member_role_end(
                actor=request.user,
                assignment=MemberRole.objects.get(pk=row.instance.pk),
                ended_on=data["ended_on"],
            )
            formset.changed_objects.append((assignment, ["ended_on"]))

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
        form = confirmed_form(request, DeathForm)
        if not form.is_valid():
            return action_page(
                self,
                request,
                self._rows(queryset),
                form,
                title="登记去世",
                intro="记录保留，状态改为“已故”，不再出现在关怀名单中；现任职务同时结束。",
                submit="确认登记",
            )
        run_for_each(
            self,
            request,
            self._rows(queryset),
            lambda member: services.member_mark_deceased(
                actor=request.user, member=member, died_on=form.cleaned_data["died_on"]
            ),
            "已登记 {count} 名党员去世。",
        )
        return None

    @action(description="登记迁出", permissions=["change"])
    def mark_moved_away(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        form = confirmed_form(request, MoveAwayForm)
        if not form.is_valid():
            return action_page(
                self,
                request,
                self._rows(queryset),
                form,
                title="登记迁出",
                intro="用于搬离本地区的党员（转到其他服务社请用“转到其他服务社”）。",
                submit="确认登记",
            )
        run_for_each(
            self,
            request,
            self._rows(queryset),
            lambda member: services.member_mark_moved_away(
                actor=request.user,
                member=member,
                left_on=form.cleaned_data["left_on"],
                note=form.cleaned_data["note"],
            ),
            "已登记 {count} 名党员迁出。",
        )
        return None


# --- Transfers ---------------------------------------------------------------------


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


@admin.register(PartyApplicant)
class PartyApplicantAdmin(PersonSearch, RosterAdmin):
    form = ApplicantForm
    list_display = [
        "person_name",
        "club",
        "stage",
        "applied_on",
        "activist_on",
        "candidate_on",
        "probationary_on",
        "full_member_on",
    ]
    list_select_related = ["person", "club"]
    list_filter = ["stage", "club"]
    list_per_page = 50
    search_fields = ["person__name"]
    search_help_text = SEARCH_HELP
    actions = ["advance"]
    STAGE_FIELDS = [
        "stage",
        "applied_on",
        "activist_on",
        "candidate_on",
        "probationary_on",
        "full_member_on",
    ]

    @display(description="姓名", ordering="person__name_pinyin")
    def person_name(self, applicant: PartyApplicant) -> str:
        return applicant.person.name

    @display(description="身份证号")
    def person_id_number(self, applicant: PartyApplicant) -> str:
        return mask_id_number(applicant.person.id_number)

    @display(description="联系电话")
    def person_phone(self, applicant: PartyApplicant) -> str:
        return mask_phone(applicant.person.phone) or "—"

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [
                *PERSON_FIELDSETS,
                ("入党申请", {"fields": ["club", "applied_on", "notes"]}),
            ]
        application = ("入党申请", {"fields": ["club", *self.STAGE_FIELDS, "notes"]})
        if not self.has_change_permission(request, obj):
            person = ["person_name", "person_id_number", "person_phone"]
            return [("基本信息", {"fields": person}), application]
        return [*PERSON_FIELDSETS, application]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        # Stages move only by the action; there is no service to edit the rest.
        return ["club", *self.STAGE_FIELDS, "notes"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_center(request) and super().has_delete_permission(request, obj)

    @action(description="进入下一阶段", permissions=["change"])
    def advance(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        rows = queryset.select_related("person", "club")
        form = confirmed_form(request, AdvanceForm)
        if not form.is_valid():
            return action_page(
                self,
                request,
                rows,
                form,
                title="进入下一阶段",
                intro="每人进入各自的下一阶段（申请人 → 积极分子 → 发展对象 → 预备党员 → "
                "正式党员）；转为正式党员时自动登记到本社党员名册。",
                submit="确认",
            )
        run_for_each(
            self,
            request,
            rows,
            lambda applicant: services.applicant_advance(
                actor=request.user,
                applicant=applicant,
                stage=next_stage(applicant),
                on=form.cleaned_data["on"],
            ),
            "已有 {count} 人进入下一阶段。",
        )
        return None


def next_stage(applicant: PartyApplicant) -> str:
    stages = list(PartyApplicant.Stage)
    current = stages.index(PartyApplicant.Stage(applicant.stage))
    if current + 1 >= len(stages):
        raise ValidationError("已是正式党员，没有下一阶段。")
    return stages[current + 1]


# --- Talent tags ---------------------------------------------------------------------


@admin.register(TalentTag)
class TalentTagAdmin(ModelAdmin):
    """A vocabulary shared by all clubs, so the center keeps it (clubs pick from it)."""

    list_display = ["name", "is_standard"]
    list_filter = ["is_standard"]
    search_fields = ["name"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_center(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_center(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_center(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_center(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The standard tags (五老, 讲师, …) are part of the rules, not of the data.
        return is_center(request) and not (obj is not None and obj.is_standard)
