"""Party applicants and their stages; the talent-pool tags."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import (
    QuerySet,
)
from django.http import HttpRequest, HttpResponse
from unfold.decorators import action, display

from fuwushe.org.admin_base import CenterOnlyAdmin, is_center
from members import services
from members.admin.base import (
    SEARCH_HELP,
    PersonSearch,
    RosterAdmin,
    action_page,
    confirmed_form,
    run_for_each,
)
from members.admin.roster import PERSON_FIELDSETS
from members.forms import (
    AdvanceForm,
    ApplicantForm,
)
from members.models import (
    PartyApplicant,
    TalentTag,
)
from members.privacy import mask_id_number, mask_phone


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
class TalentTagAdmin(CenterOnlyAdmin):
    """A vocabulary shared by all clubs, so the center keeps it (clubs pick from it)."""

    list_display = ["name", "is_standard"]
    list_filter = ["is_standard"]
    search_fields = ["name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The standard tags (五老, 讲师, …) are part of the rules, not of the data.
        standard = obj is not None and obj.is_standard
        return not standard and super().has_delete_permission(request, obj)
