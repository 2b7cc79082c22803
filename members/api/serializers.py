"""Serializers of the members API: masked fields, person fields, service errors as API errors."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Generic, TypeVar, cast

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, permissions, serializers
from rest_framework.fields import SkipField
from rest_framework.settings import api_settings

from fuwushe.org.api_base import ScopedPrimaryKeyRelatedField, StrictPrimaryKeyRelatedField
from fuwushe.org.models import Club, Community
from members.models import (
    Gender,
    Member,
    MemberRole,
    MemberTransfer,
    PartyApplicant,
    TalentTag,
)
from members.privacy import may_view_sensitive, shown

M = TypeVar("M", bound=models.Model)


# --- Errors and permissions -------------------------------------------------------------


@contextmanager
def service_errors() -> Iterator[None]:
    """Turn a service's Django errors into DRF's: 400 with field errors, 403 with its reason."""
    try:
        yield
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            detail: Any = {
                (api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): messages
                for key, messages in exc.message_dict.items()
            }
        else:
            detail = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        raise exceptions.ValidationError(detail) from exc
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from exc


class ModelPermissions(permissions.DjangoModelPermissions):
    """Reads need the model's view permission; writes its add or change permission."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class DecidePermissions(ModelPermissions):
    """Accepting or declining a transfer changes it: a POST that needs the change permission."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


# --- Fields ---------------------------------------------------------------------------


def _user(context: Mapping[str, Any]) -> Any:
    return getattr(context.get("request"), "user", None)


class MaskedCharField(serializers.CharField):
    """An ID number or phone: in full to users who may view sensitive data, masked otherwise.

    The field's name picks the mask. A masked value sent back is refused, never saved
    over the real one; leave the field out to keep it unchanged.
    """

    default_error_messages = {
        "masked": "这是打码后的值（含 *），不能作为输入。不修改此项请不要提交它。",
    }

    def to_representation(self, value: Any) -> str:
        text = super().to_representation(value)
        return cast(str, shown(_user(self.context), self.field_name or "", text))

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if "*" in value:
            self.fail("masked")
        return value


@extend_schema_field({"type": "string", "nullable": True})
class SensitiveTextField(serializers.CharField):
    """Health and the like: shown only to users who may view sensitive data, else null.

    For other users it is read-only on an existing record (`hide_from`): they could only
    erase what they cannot read. Null sent back by those who may see it keeps the text.
    """

    @staticmethod
    def hide_from(serializer: serializers.Serializer[Any]) -> None:
        """Make the serializer's sensitive text fields read-only for a user who may not see
        them, when it changes a record; a new record's first value erases nothing."""
        if serializer.instance is None or may_view_sensitive(_user(serializer.context)):
            return
        for field in serializer.fields.values():
            if isinstance(field, SensitiveTextField):
                field.read_only = True

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None:
            raise SkipField()
        return super().validate_empty_values(data)

    def to_representation(self, value: Any) -> Any:
        if not may_view_sensitive(_user(self.context)):
            return None
        return super().to_representation(value)


def _masked(source: str, label: str, *, required: bool = False, **kwargs: Any) -> MaskedCharField:
    return MaskedCharField(
        source=f"person.{source}", label=label, required=required, max_length=30, **kwargs
    )


def _text(source: str, label: str, max_length: int) -> serializers.CharField:
    return serializers.CharField(
        source=f"person.{source}",
        label=label,
        max_length=max_length,
        required=False,
        allow_blank=True,
    )


# --- Serializers ----------------------------------------------------------------------

PERSON_FIELD_NAMES = [
    "name",
    "gender",
    "gender_display",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "phone_alt",
    "emergency_contact",
    "emergency_phone",
    "community",
    "community_name",
    "building",
    "unit",
    "room",
]
ID_NUMBER_HELP = (
    "18 位居民身份证号，登记时必填，修改时不填则不变。出生日期和性别不填时由它得出。"
    "无权查看敏感信息的用户看到的是打码后的号码，打码值不能提交回来。"
)


class PersonFieldsSerializer(serializers.ModelSerializer[M], Generic[M]):
    """The person's details, flat beside the role's own fields.

    Written values arrive under `validated_data["person"]` for the services.
    """

    name = serializers.CharField(source="person.name", label="姓名", max_length=50)
    gender = serializers.ChoiceField(
        source="person.gender",
        choices=Gender.choices,
        label="性别",
        required=False,
        help_text="不填则取自身份证号；填写须与身份证号一致。",
    )
    gender_display = serializers.CharField(
        source="person.get_gender_display", label="性别（显示）", read_only=True
    )
    ethnicity = serializers.CharField(
        source="person.ethnicity", label="民族", max_length=20, required=False
    )
    birth_date = serializers.DateField(
        source="person.birth_date",
        label="出生日期",
        required=False,
        help_text="不填则取自身份证号；填写须与身份证号一致。",
    )
    id_number = _masked("id_number", "身份证号", help_text=ID_NUMBER_HELP)
    phone = _masked("phone", "联系电话", allow_blank=True)
    phone_alt = _masked("phone_alt", "备用电话", allow_blank=True)
    emergency_contact = _text("emergency_contact", "紧急联系人", 50)
    emergency_phone = _masked("emergency_phone", "紧急联系人电话", allow_blank=True)
    community = ScopedPrimaryKeyRelatedField(
        source="person.community",
        queryset=Community.objects.all(),
        label="居住小区",
        required=False,
        allow_null=True,
    )
    community_name = serializers.CharField(
        source="person.community.name", label="居住小区名称", read_only=True, allow_null=True
    )
    building = _text("building", "楼号", 20)
    unit = _text("unit", "单元", 10)
    room = _text("room", "房号", 10)
    club = ScopedPrimaryKeyRelatedField(queryset=Club.objects.all(), label="所属服务社")
    club_name = serializers.CharField(source="club.name", label="所属服务社名称", read_only=True)

    def validate_club(self, club: Club) -> Club:
        if self.instance is not None and club.pk != cast(Any, self.instance).club_id:
            raise serializers.ValidationError(
                "不能在此修改所属服务社；转到其他服务社请发起党员转接。"
            )
        return club


class CurrentRoleSerializer(serializers.ModelSerializer[MemberRole]):
    role_display = serializers.CharField(source="get_role_display", label="职务名称")

    class Meta:
        model = MemberRole
        fields = ["role", "role_display", "started_on", "ended_on"]
        read_only_fields = fields


class MemberSerializer(PersonFieldsSerializer[Member]):
    age = serializers.IntegerField(label="年龄", read_only=True)
    party_age = serializers.IntegerField(label="党龄", read_only=True, allow_null=True)
    advanced_age = serializers.SerializerMethodField(label="高龄")
    health_note = SensitiveTextField(
        label="健康状况",
        required=False,
        allow_blank=True,
        help_text=(
            "敏感信息：只有有权查看敏感信息的用户能看到，其他用户看到的是 null，"
            "也只能在登记新党员时填写，修改时提交此项会被拒绝。有权用户提交 null 表示不修改。"
        ),
    )
    tags = serializers.SlugRelatedField(
        slug_field="name",
        queryset=TalentTag.objects.all(),
        many=True,
        required=False,
        label="人才库标签",
    )
    current_roles = CurrentRoleSerializer(many=True, read_only=True, label="现任三长六员")
    category_display = serializers.CharField(
        source="get_category_display", label="党员类别（显示）", read_only=True
    )
    status_display = serializers.CharField(
        source="get_status_display", label="状态（显示）", read_only=True
    )

    class Meta:
        model = Member
        fields = [
            "id",
            "club",
            "club_name",
            *PERSON_FIELD_NAMES,
            "age",
            "category",
            "category_display",
            "joined_party_on",
            "party_age",
            "former_unit",
            "relationship_held_at",
            "relationship_organisation",
            "education",
            "health_note",
            "lives_alone",
            "childless",
            "widowed",
            "disabled",
            "hardship",
            "advanced_age",
            "tags",
            "current_roles",
            "status",
            "status_display",
            "registered_on",
            "died_on",
            "left_on",
            "notes",
        ]
        read_only_fields = ["status", "died_on", "left_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        SensitiveTextField.hide_from(self)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_advanced_age(self, member: Member) -> bool:
        # Annotated by the viewset with MemberQuerySet.with_advanced_age (the one rule).
        return bool(getattr(member, "is_advanced_age", False))


class MemberTransferSerializer(serializers.ModelSerializer[MemberTransfer]):
    member = ScopedPrimaryKeyRelatedField(queryset=Member.objects.all(), label="党员")
    member_name = serializers.CharField(source="member.person.name", label="姓名", read_only=True)
    from_club_name = serializers.CharField(
        source="from_club.name", label="转出服务社名称", read_only=True
    )
    to_club = StrictPrimaryKeyRelatedField(queryset=Club.objects.all(), label="转入服务社")
    to_club_name = serializers.CharField(
        source="to_club.name", label="转入服务社名称", read_only=True
    )
    status_display = serializers.CharField(
        source="get_status_display", label="状态（显示）", read_only=True
    )

    class Meta:
        model = MemberTransfer
        fields = [
            "id",
            "member",
            "member_name",
            "from_club",
            "from_club_name",
            "to_club",
            "to_club_name",
            "reason",
            "status",
            "status_display",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = [
            "from_club",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]


class TransferAcceptSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(label="处理意见", max_length=200, required=False, allow_blank=True)


class TransferDeclineSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(
        label="退回或撤回原因",
        max_length=200,
        error_messages={
            "required": "请说明退回或撤回的原因。",
            "blank": "请说明退回或撤回的原因。",
        },
    )
    cancel = serializers.BooleanField(
        label="撤回",
        default=False,
        help_text="转出服务社撤回自己的申请时填 true；转入服务社退回时不填。",
    )


class PartyApplicantSerializer(PersonFieldsSerializer[PartyApplicant]):
    id_number = _masked("id_number", "身份证号", help_text=ID_NUMBER_HELP, required=True)
    stage_display = serializers.CharField(
        source="get_stage_display", label="阶段（显示）", read_only=True
    )

    class Meta:
        model = PartyApplicant
        fields = [
            "id",
            "club",
            "club_name",
            *PERSON_FIELD_NAMES,
            "stage",
            "stage_display",
            "applied_on",
            "activist_on",
            "candidate_on",
            "probationary_on",
            "full_member_on",
            "notes",
        ]
        read_only_fields = [
            "stage",
            "activist_on",
            "candidate_on",
            "probationary_on",
            "full_member_on",
        ]


class TalentTagSerializer(serializers.ModelSerializer[TalentTag]):
    class Meta:
        model = TalentTag
        fields = ["id", "name", "is_standard"]
