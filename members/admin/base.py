"""Building blocks of the members admin: search, the service-backed form flow, actions."""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import csrf_protect_m
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import (
    QuerySet,
)
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from unfold.admin import ModelAdmin

from fuwushe.org.admin_base import ScopedAdmin, error_text
from fuwushe.org.scoping import CLUB, scope_for
from members import lookups
from members.models import (
    advanced_age_threshold,
    person_search_q,
)
from members.privacy import may_view_sensitive

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


SAVED = "_fuwushe_saved"


class RosterAdmin(ScopedAdmin):
    """A club roster's admin (members, applicants), whose form saves through the services
    while it validates.

    A service's error is then an ordinary form error, as is one refusing an inline row
    (members.forms.MemberRoleFormSet). Because validating may already have written, a
    POST that does not end in a save (the page is shown again with errors) is rolled back.
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
        # ID numbers the form looked up are logged after the rollback (members.lookups).
        with (
            lookups.answering(request.user, request=request),
            transaction.atomic(using=router.db_for_write(self.model)),
        ):
            response = self._changeform_view(request, object_id, form_url, extra_context)
            if not getattr(request, SAVED, False):
                transaction.set_rollback(True)
            return response

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
