"""Admin forms that write through `members.services` while they validate.

A service's ValidationError is then an ordinary form error on the field it names; the
admin rolls the transaction back whenever the page is shown again with errors
(`members.admin.RosterAdmin`), so validating never leaves a half-saved record.
"""

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import BaseInlineFormSet
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanWidget,
)

from fuwushe.org.models import Club, Community
from fuwushe.org.scoping import scope_for
from members import identity, services
from members.models import Gender, Member, MemberRole, PartyApplicant, Person, TalentTag
from members.privacy import SENSITIVE_FIELDS, masked

# Typed into an empty phone box on the change form, this removes the number.
CLEAR_WORD = "无"
SAVED_AT_THE_SAME_TIME = "刚才有人同时保存了相同的记录（如同一身份证号），请刷新后重试。"


def _text(label: str, *, required: bool = False, max_length: int = 50, **kwargs: Any) -> Any:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=UnfoldAdminTextInputWidget,
        **kwargs,
    )


def _date(label: str, *, required: bool = False, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=UnfoldAdminSingleDateWidget, **kwargs
    )


def apply_service_error(form: forms.BaseForm, exc: ValidationError | PermissionDenied) -> None:
    """Put a service's error on the fields it names; the rest above the form."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or "您无权进行此操作。")
        return
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class PersonFields(forms.Form):
    """The person part of a role's form (member, party applicant): one way to type a person.

    On a change form the ID number and phones are never sent to the browser: their boxes
    start empty, the masked value is shown beside them, and an empty box keeps the value.
    """

    name = _text("姓名", required=True)
    gender = forms.ChoiceField(
        label="性别",
        required=False,
        choices=[("", "按身份证号自动填写"), *Gender.choices],
        widget=UnfoldAdminSelectWidget,
    )
    ethnicity = _text("民族", max_length=20, initial="汉族")
    birth_date = _date("出生日期", help_text="可不填，按身份证号自动填写。")
    id_number = _text("身份证号", max_length=40, help_text="18 位；最后一位可以是 X。")
    convert_old_id = forms.BooleanField(
        label="转换 15 位旧号码",
        required=False,
        widget=UnfoldBooleanWidget,
        help_text="只有 15 位的老身份证号时勾选，系统换算成 18 位，保存后请核对。",
    )
    phone = _text("联系电话", max_length=30, help_text="手机 11 位；座机带区号，如 0546-8123456。")
    phone_alt = _text("备用电话", max_length=30)
    emergency_contact = _text("紧急联系人")
    emergency_phone = _text("紧急联系人电话", max_length=30)
    community = forms.ModelChoiceField(
        label="居住小区",
        queryset=Community.objects.none(),
        required=False,
        widget=UnfoldAdminSelectWidget,
    )
    building = _text("楼号", max_length=20)
    unit = _text("单元", max_length=10)
    room = _text("房号", max_length=10)

    person_fields = services.PERSON_FIELDS
    user: Any
    person: Person | None

    def setup_person_fields(self, user: Any, person: Person | None) -> None:
        """Scope the community choices; on a change form, show the person as stored."""
        self.user = user
        self.person = person
        self.fields["community"].queryset = Community.objects.for_user(user)  # type: ignore[attr-defined]
        if person is None:
            self.fields["id_number"].required = True
            return
        for key in self.person_fields:
            if key in SENSITIVE_FIELDS:
                continue
            value = getattr(person, "community_id" if key == "community" else key)
            self.initial.setdefault(key, value)
        for key in SENSITIVE_FIELDS:
            field = self.fields[key]
            current = masked(key, getattr(person, key))
            if current:
                keep = (
                    "留空则不修改" if key == "id_number" else f"留空则不修改；填“{CLEAR_WORD}”删除"
                )
                field.help_text = f"当前：{current}，{keep}。"
            else:
                field.help_text = "当前：未填写。"
            self.initial[key] = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = data.get("id_number")
        if number and data.get("convert_old_id"):
            try:
                data["id_number"] = identity.convert_old_id_number(number)
            except ValidationError as exc:
                self.add_error("id_number", exc)
        return data

    def person_data(self) -> dict[str, Any]:
        """The typed person fields for the services; on change, only what was changed."""
        data = {key: self.cleaned_data.get(key) for key in self.person_fields}
        data["ethnicity"] = data["ethnicity"] or "汉族"
        if self.person is None:
            return data
        changed = {key: value for key, value in data.items() if key in self.changed_data}
        for key in SENSITIVE_FIELDS:
            value = (changed.pop(key, "") or "").strip()
            if value == CLEAR_WORD and key != "id_number":
                changed[key] = ""
            elif value:
                changed[key] = value
        if {"id_number", "birth_date", "gender"} & changed.keys():
            # The services check birth date and gender against the ID number only when
            # they get one; what was left alone is taken from the (new) number again.
            changed.setdefault("id_number", self.person.id_number)
            changed.setdefault("birth_date", None)
            changed.setdefault("gender", "")
        return changed


class SavedByServices(forms.ModelForm):
    """A model form whose validation ends by saving through a service: the service's
    errors become form errors, and its result becomes the form's instance."""

    def _post_clean(self) -> None:
        # Instead of Django's construct-and-full_clean: the service validates and saves.
        if self.errors:
            return
        try:
            saved = self.save_through_services()
        except (ValidationError, PermissionDenied) as exc:
            apply_service_error(self, exc)
        except IntegrityError:
            # Someone saved the same record at the same moment (the service rolled its
            # own part back): a form error, not a server error.
            self.add_error(None, SAVED_AT_THE_SAME_TIME)
        else:
            # The admin gave this instance to the inline formsets before validating: they
            # must see the saved record (its duties are saved to it), so it becomes that.
            if saved is not self.instance:
                vars(self.instance).update(vars(saved))

    def save_through_services(self) -> Any:
        raise NotImplementedError


class MemberForm(PersonFields, SavedByServices):
    """A member and their person in one form; saved by member_create / member_update."""

    tags = forms.ModelMultipleChoiceField(
        label="人才库标签",
        queryset=TalentTag.objects.all(),
        required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
    )

    class Meta:
        model = Member
        fields = [
            "club",
            *(name for name in services.MEMBER_FIELDS),
        ]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adding = self.instance.pk is None
        self.setup_person_fields(user, None if adding else self.instance.person)
        if not adding:
            self.initial["tags"] = list(self.instance.tags.all())
        elif "club" in self.fields:
            clubs = list(self.fields["club"].queryset[:2])  # type: ignore[attr-defined]
            if len(clubs) == 1:
                self.initial.setdefault("club", clubs[0].pk)

    def save_through_services(self) -> Member:
        data = self.cleaned_data
        fields = {key: data[key] for key in services.MEMBER_FIELDS if key in data}
        if self.instance.pk is None:
            return services.member_create(
                actor=self.user,
                club=data["club"],
                person=self.person_data(),
                tags=data.get("tags") or [],
                **fields,
            )
        return services.member_update(
            actor=self.user,
            member=self.instance,
            person=self.person_data(),
            tags=data.get("tags") or [],
            **fields,
        )


class ApplicantForm(PersonFields, SavedByServices):
    """A party applicant: the person and the application on add (applicant_create); on
    change only the person's details (person_update) — the stages move by the action."""

    class Meta:
        model = PartyApplicant
        fields = ["club", "applied_on", "notes"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adding = self.instance.pk is None
        self.setup_person_fields(user, None if adding else self.instance.person)
        if adding and "club" in self.fields:
            clubs = list(self.fields["club"].queryset[:2])  # type: ignore[attr-defined]
            if len(clubs) == 1:
                self.initial.setdefault("club", clubs[0].pk)

    def save_through_services(self) -> PartyApplicant:
        data = self.cleaned_data
        if self.instance.pk is None:
            return services.applicant_create(
                actor=self.user,
                club=data["club"],
                person=self.person_data(),
                applied_on=data["applied_on"],
                notes=data.get("notes") or "",
            )
        changes = self.person_data()
        if changes:
            services.person_update(actor=self.user, person=self.instance.person, data=changes)
        return self.instance


class MemberRoleFormSet(BaseInlineFormSet):
    """Duty rows, saved through member_role_assign / member_role_end while they validate.

    A row the services refuse then shows the refusal beside what was typed, like any
    form error; the admin rolls the whole POST back when the page is shown again.
    """

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # What formset.save() would have recorded, for the admin's change message.
        self.new_objects: list[MemberRole] = []
        self.changed_objects: list[tuple[MemberRole, list[str]]] = []
        self.deleted_objects: list[MemberRole] = []

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return  # the rows' own errors first; without a saved member, nothing to save to
        for row in self.forms:
            if not row.has_changed():
                continue
            try:
                with transaction.atomic():
                    self._save_row(row)
            except (ValidationError, PermissionDenied) as exc:
                apply_service_error(row, exc)
            except IntegrityError:
                row.add_error(None, SAVED_AT_THE_SAME_TIME)

    def _save_row(self, row: Any) -> None:
        data = row.cleaned_data
        member = self.instance
        if row.instance.pk is None:
            assignment = services.member_role_assign(
                actor=self.user, member=member, role=data["role"], started_on=data["started_on"]
            )
            if data.get("ended_on"):
                services.member_role_end(
                    actor=self.user, assignment=assignment, ended_on=data["ended_on"]
                )
            self.new_objects.append(assignment)
        elif "ended_on" in row.changed_data and data.get("ended_on"):
            assignment = services.member_role_end(
                actor=self.user,
                assignment=MemberRole.objects.get(pk=row.instance.pk),
                ended_on=data["ended_on"],
            )
            self.changed_objects.append((assignment, ["ended_on"]))


class MemberRoleForm(forms.ModelForm):
    """A duty row: a new row names the role and start; an open row can only be ended."""

    class Meta:
        model = MemberRole
        fields = ["role", "started_on", "ended_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        for name in ("role", "started_on"):
            if name in self.fields:
                self.fields[name].disabled = True
        if self.instance.ended_on is not None and "ended_on" in self.fields:
            self.fields["ended_on"].disabled = True


class ActionForm(forms.Form):
    """The extra input an admin action asks for on its confirmation page."""

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request


class TransferForm(ActionForm):
    to_club = forms.ModelChoiceField(
        label="转入服务社",
        # Club names are not secret: every running club may receive a member.
        queryset=Club.objects.filter(status=Club.Status.ACTIVE).order_by("code"),
        widget=UnfoldAdminSelectWidget,
    )
    reason = _text("转接原因", max_length=200, help_text="如：随子女搬到该社区居住。")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        own = scope_for(getattr(self.request, "user", None)).club_id
        if own is not None:
            field = self.fields["to_club"]
            field.queryset = field.queryset.exclude(pk=own)  # type: ignore[attr-defined]


class DeathForm(ActionForm):
    died_on = _date("去世日期", required=True)


class MoveAwayForm(ActionForm):
    left_on = _date("迁出日期", required=True)
    note = _text("说明", max_length=200, help_text="如：迁往外地随子女生活。")


class DecisionForm(ActionForm):
    note = _text("处理意见", max_length=200)


class AdvanceForm(ActionForm):
    on = _date("日期", required=True, help_text="进入下一阶段的日期，如确定为积极分子的日期。")


class RevealForm(forms.Form):
    reason = forms.CharField(
        label="查看事由",
        required=False,
        max_length=200,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}),
        help_text="可不填。如：核对身份证原件、联系家属。",
    )
