from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework.authtoken.models import TokenProxy
from unfold.admin import ModelAdmin
from unfold.decorators import action
from unfold.forms import AdminPasswordChangeForm, UserChangeForm

from fuwushe.org import services
from fuwushe.org.admin_base import (
    CenterOnlyAdmin,
    ScopedAdmin,
    is_center,
    scoped_related_queryset,
)
from fuwushe.org.models import AreaCode, Club, Community, Department, StaffPosting, User
from fuwushe.org.scoping import CLUB, scope_for
from fuwushe.org.selectors import clubs_in_city, with_staffing

admin.site.unregister(Group)
# API tokens are secrets; nobody needs to read them in the admin.
admin.site.unregister(TokenProxy)


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ["code", "name", "branch_name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


class StaffingFilter(admin.SimpleListFilter):
    title = "人员配备"
    parameter_name = "staffing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("short", "配备不足"), ("ok", "达标"), ("over", "超出配备")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(staffing_status=self.value())
        return queryset


@admin.register(Club)
class ClubAdmin(ScopedAdmin):
    list_display = [
        "code",
        "name",
        "department",
        "status",
        "headcount_display",
        "staffing_display",
    ]
    list_filter = ["department", "status", StaffingFilter, "city"]
    list_select_related = ["department"]
    search_fields = ["code", "name", "address"]
    fieldsets = [
        ("基本信息", {"fields": ["code", "name", "department", "status", "founded_on"]}),
        ("位置", {"fields": ["address", "city", "county", "elderly_station"]}),
        ("合并记录", {"fields": ["merged_into", "merged_on"]}),
        ("备注", {"fields": ["notes"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return with_staffing(super().get_queryset(request))  # type: ignore[arg-type]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if is_center(request):
            return []
        # Departments keep their clubs' details; structure is the center's decision.
        return ["code", "department", "status", "merged_into", "merged_on"]

    @admin.display(description="人数（党员+志愿者）", ordering="headcount")
    def headcount_display(self, club: Any) -> int:
        return int(club.headcount)

    @admin.display(description="工作人员配备", ordering="staff_count")
    def staffing_display(self, club: Any) -> str:
        if club.staffing_status == "inactive":
            return "—"
        wanted = "2–3" if club.staff_max == 3 else "2"
        label = {"short": "不足", "over": "超出", "ok": "达标"}[club.staffing_status]
        return f"{club.staff_count} 人（应配 {wanted} 人，{label}）"


@admin.register(Community)
class CommunityAdmin(ScopedAdmin):
    list_display = ["name", "club", "city", "county", "households", "aliases_display"]
    list_filter = ["club__department", "club", "city"]
    list_select_related = ["club"]
    search_fields = ["name", "aliases", "club__name"]
    autocomplete_fields = ["club"]
    fields = ["name", "club", "city", "county", "households", "aliases"]

    @admin.display(description="其他写法")
    def aliases_display(self, community: Community) -> str:
        return "、".join(community.aliases) or "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A club's staff keep the wordings of their own communities; the register itself
        # is the center's and the department's.
        if obj is not None and scope_for(request.user).level == CLUB:
            return ["name", "club", "city", "county", "households"]
        return super().get_readonly_fields(request, obj)


@admin.register(AreaCode)
class AreaCodeAdmin(CenterOnlyAdmin):
    """The area code a local phone number takes, by the city of the member's club."""

    list_display = ["city", "code", "clubs_display"]
    search_fields = ["city", "code"]
    fields = ["city", "code"]

    @admin.display(description="该市运行中的服务社", ordering="club_count")
    def clubs_display(self, area: Any) -> int:
        return int(area.club_count)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(club_count=clubs_in_city())


@admin.register(StaffPosting)
class StaffPostingAdmin(ScopedAdmin):
    list_display = ["user", "level", "department", "club", "role", "started_on", "ended_on"]
    list_filter = ["level", "role", "department", "club"]
    list_select_related = ["user", "department", "club"]
    search_fields = ["user__username", "user__last_name", "user__first_name", "club__name"]
    autocomplete_fields = ["user", "club"]

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)

        class PermittedForm(form):  # type: ignore[valid-type, misc]
            def clean(self) -> Any:
                data = super().clean()
                try:
                    services.ensure_may_manage(
                        request.user, department=data.get("department"), club=data.get("club")
                    )
                except PermissionDenied as exc:
                    raise ValidationError(str(exc)) from exc
                return data

        return PermittedForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            obj.full_clean()
            super().save_model(request, obj, form, change)
            services.sync_user_groups(obj.user)
            return
        posting = services.staff_posting_create(
            actor=request.user,
            user=obj.user,
            role=obj.role,
            department=obj.department,
            club=obj.club,
            started_on=obj.started_on,
            elderly_station=obj.elderly_station,
        )
        obj.pk = posting.pk
        obj._state.adding = False


class StaffAccountCreationForm(forms.ModelForm):
    role = forms.ChoiceField(label="岗位", choices=StaffPosting.Role.choices)
    department = forms.ModelChoiceField(
        label="老年服务部", queryset=Department.objects.none(), required=False
    )
    club = forms.ModelChoiceField(label="党员服务社", queryset=Club.objects.none(), required=False)
    started_on = forms.DateField(label="任职开始", required=False)
    elderly_station = forms.CharField(label="交叉任职老年站", required=False, max_length=100)

    class Meta:
        model = User
        fields = ["username", "last_name", "first_name"]
        labels = {"last_name": "姓", "first_name": "名"}

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        if request is not None:
            self.fields["department"].queryset = scoped_related_queryset(  # type: ignore[attr-defined]
                Department, request
            )
            self.fields["club"].queryset = scoped_related_queryset(Club, request)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        if role == StaffPosting.Role.DEPARTMENT_ADMIN and not data.get("department"):
            self.add_error("department", "服务部管理员须选择所在的老年服务部。")
        if role in services.CLUB_ROLES and not data.get("club"):
            self.add_error("club", "服务社工作人员须选择所在的党员服务社。")
        if role in services.CLUB_ROLES | {StaffPosting.Role.CENTER_ADMIN}:
            data["department"] = None
        if role not in services.CLUB_ROLES:
            data["club"] = None
        if self.request is not None and not self.errors:
            try:
                services.ensure_may_manage(
                    self.request.user, department=data.get("department"), club=data.get("club")
                )
            except PermissionDenied as exc:
                raise ValidationError(str(exc)) from exc
        return data


@admin.register(User)
class UserAdmin(BaseUserAdmin, ScopedAdmin):
    form = UserChangeForm
    add_form = StaffAccountCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "full_name", "current_posting", "is_active", "last_login"]
    list_filter = ["is_active", "postings__role"]
    search_fields = ["username", "last_name", "first_name"]
    ordering = ["username"]
    actions = ["reset_password", "deactivate"]
    add_fieldsets = [
        ("账号", {"fields": ["username", "last_name", "first_name"]}),
        ("任职", {"fields": ["role", "department", "club", "started_on", "elderly_station"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        fieldsets = [
            ("账号", {"fields": ["username", "password", "must_change_password"]}),
            ("姓名", {"fields": ["last_name", "first_name", "email"]}),
            ("状态", {"fields": ["is_active", "last_login", "date_joined"]}),
        ]
        if request.user.is_superuser:
            fieldsets.append(
                ("权限", {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]})
            )
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["last_login", "date_joined"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form

        class RequestForm(form):  # type: ignore[valid-type, misc]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, request=request, **kw)

        return RequestForm

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("postings__club")

    @admin.display(description="姓名")
    def full_name(self, user: User) -> str:
        return user.get_full_name()

    @admin.display(description="当前任职")
    def current_posting(self, user: User) -> str:
        open_postings = [p for p in user.postings.all() if p.ended_on is None]
        if not open_postings:
            return "—"
        posting = open_postings[0]
        place = posting.club or posting.department or "管理中心"
        return f"{place} · {posting.get_role_display()}"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        user, password = services.staff_account_create(
            actor=request.user,
            username=data["username"],
            last_name=data["last_name"],
            first_name=data["first_name"],
            role=data["role"],
            department=data.get("department"),
            club=data.get("club"),
            started_on=data.get("started_on"),
            elderly_station=data.get("elderly_station", ""),
        )
        obj.pk = user.pk
        obj._state.adding = False
        messages.warning(
            request,
            f"账号 {user.username} 已创建，临时密码：{password}（只显示这一次，请当面告知本人；"
            "首次登录须修改密码）",
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    @action(description="重置密码（生成临时密码）")
    def reset_password(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for user in queryset:
            try:
                password = services.staff_password_reset(actor=request.user, user=user)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{user}：{_message(exc)}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"{user} 的临时密码：{password}（只显示这一次；下次登录须修改密码）",
                messages.WARNING,
            )

    @action(description="停用账号")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for user in queryset:
            try:
                services.staff_account_deactivate(actor=request.user, user=user)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{user}：{_message(exc)}", messages.ERROR)
                continue
            self.message_user(request, f"{user} 已停用，任职已结束。", messages.SUCCESS)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    pass
