"""The members registry over REST: scoped, masked, and written only through the services.

ID numbers and phones are masked in every response unless the user may view sensitive
data; a response that does carry them in full leaves one entry in the access log.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from typing import Any, Generic, TypeVar, cast

import django_filters
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, generics, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.fields import SkipField
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from fuwushe.api import router
from fuwushe.audit.access import record_sensitive_access
from fuwushe.org.api_base import ScopedPrimaryKeyRelatedField, ScopedViewSetMixin
from fuwushe.org.models import Club, Community
from members import services
from members.models import (
    Gender,
    Member,
    MemberQuerySet,
    MemberRole,
    MemberTransfer,
    PartyApplicant,
    TalentTag,
    advanced_age_threshold,
    person_search_q,
)
from members.privacy import SENSITIVE_FIELDS, may_view_sensitive, shown

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

    Null sent back (what those users were shown) keeps the stored text.
    """

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
            "敏感信息：只有有权查看敏感信息的用户能看到，其他用户看到的是 null；"
            "提交 null 表示不修改。"
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

    @cached_property
    def _threshold(self) -> int:
        # One look-up per response: a list serializer shares this child.
        return advanced_age_threshold()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_advanced_age(self, member: Member) -> bool:
        age = getattr(member, "age", None)
        return age is not None and age >= self._threshold


class MemberTransferSerializer(serializers.ModelSerializer[MemberTransfer]):
    member = ScopedPrimaryKeyRelatedField(queryset=Member.objects.all(), label="党员")
    member_name = serializers.CharField(source="member.person.name", label="姓名", read_only=True)
    from_club_name = serializers.CharField(
        source="from_club.name", label="转出服务社名称", read_only=True
    )
    to_club = serializers.PrimaryKeyRelatedField(queryset=Club.objects.all(), label="转入服务社")
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


# --- Filters --------------------------------------------------------------------------


class IntegerFilter(django_filters.NumberFilter):
    field_class = django_filters.fields.forms.IntegerField


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ordering with the primary key last, so that pages never overlap."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        ordered = super().filter(qs, value)
        return ordered.order_by(*ordered.query.order_by, "pk") if value else ordered


SEARCH_HELP = "姓名、拼音全拼或首字母（如 wyg）、身份证号或电话的末几位、楼号、小区名。"


class MemberFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Member.Status.choices,
        label="状态",
        help_text="不填则全部（含已迁出、已故）；只看在册党员请填 active。",
    )
    community = django_filters.ModelChoiceFilter(
        field_name="person__community", queryset=Community.objects.all(), label="居住小区"
    )
    advanced_age = django_filters.BooleanFilter(
        method="filter_advanced_age", label="高龄", help_text="true 为达到高龄线（默认 80 岁）。"
    )
    age_min = IntegerFilter(method="filter_age_min", label="年龄不小于", min_value=0)
    age_max = IntegerFilter(method="filter_age_max", label="年龄不大于", min_value=0)
    golden_anniversary_year = IntegerFilter(
        method="filter_golden_anniversary_year",
        label="光荣在党50年年份",
        help_text="入党满 50 周年的日子落在这一年的党员。",
        min_value=1950,
        max_value=2200,
    )
    search = django_filters.CharFilter(method="filter_search", label="搜索", help_text=SEARCH_HELP)
    ordering = StableOrderingFilter(
        fields=(
            ("person__name_pinyin", "name"),
            ("age", "age"),
            ("joined_party_on", "joined_party_on"),
        ),
        field_labels={
            "person__name_pinyin": "姓名拼音",
            "age": "年龄",
            "joined_party_on": "入党时间",
        },
        label="排序",
        help_text="name、age、joined_party_on，前加 - 为倒序，可用逗号组合。",
    )

    class Meta:
        model = Member
        fields = [
            "club",
            "status",
            "category",
            "community",
            "lives_alone",
            "childless",
            "widowed",
            "disabled",
            "hardship",
        ]

    def filter_search(self, queryset: MemberQuerySet, name: str, value: str) -> Any:
        return queryset.search(value, full_numbers=may_view_sensitive(self.request.user))

    def filter_advanced_age(self, queryset: MemberQuerySet, name: str, value: bool) -> Any:
        if value:
            return queryset.advanced_age()
        return queryset.aged_under(advanced_age_threshold())

    def filter_age_min(self, queryset: MemberQuerySet, name: str, value: int) -> Any:
        return queryset.aged_at_least(value)

    def filter_age_max(self, queryset: MemberQuerySet, name: str, value: int) -> Any:
        return queryset.aged_under(value + 1)

    def filter_golden_anniversary_year(
        self, queryset: MemberQuerySet, name: str, value: int
    ) -> Any:
        return queryset.golden_anniversary_between(date(value, 1, 1), date(value, 12, 31))


class MemberTransferFilter(django_filters.FilterSet):
    class Meta:
        model = MemberTransfer
        fields = ["status", "member", "from_club", "to_club"]


class PartyApplicantFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="搜索", help_text=SEARCH_HELP)

    class Meta:
        model = PartyApplicant
        fields = ["club", "stage"]

    def filter_search(self, queryset: QuerySet[PartyApplicant], name: str, value: str) -> Any:
        full_numbers = may_view_sensitive(self.request.user)
        return queryset.filter(person_search_q(value, prefix="person__", full_numbers=full_numbers))


# --- Views ----------------------------------------------------------------------------


def _owner(clubs: set[Club]) -> tuple[int | None, int | None]:
    """The club, else the department, that all these clubs share (club id, department id)."""
    if len(clubs) == 1:
        return next(iter(clubs)).pk, None
    departments = {club.department_id for club in clubs}
    return None, (departments.pop() if len(departments) == 1 else None)


class SensitiveResponseMixin(generics.GenericAPIView[Any]):
    """Log one access per response that carries people's sensitive values in full."""

    sensitive_fields: Sequence[str] = SENSITIVE_FIELDS

    def log_full_values(self, rows: Sequence[Member | PartyApplicant]) -> None:
        if not rows or not may_view_sensitive(self.request.user):
            return
        club_id, department_id = _owner({row.club for row in rows})
        record_sensitive_access(
            user=self.request.user,
            action="api",
            subjects=[row.person for row in rows],
            fields=self.sensitive_fields,
            club_id=club_id,
            department_id=department_id,
            request=self.request._request,
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(queryset if page is None else page)
        data = self.get_serializer(rows, many=True).data
        self.log_full_values(rows)
        return Response(data) if page is None else self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.get_object()
        data = self.get_serializer(row).data
        self.log_full_values([row])
        return Response(data)

    def reload(self, pk: int) -> Any:
        """The written row as lists show it, logged if it goes out in full."""
        row = self.get_queryset().get(pk=pk)
        self.log_full_values([row])
        return row


@extend_schema_view(
    list=extend_schema(summary="党员列表"),
    retrieve=extend_schema(summary="党员详情"),
    create=extend_schema(summary="登记党员"),
    update=extend_schema(summary="修改党员信息"),
    partial_update=extend_schema(summary="修改党员信息（部分字段）"),
)
class MemberViewSet(
    SensitiveResponseMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Member],
):
    """服务社花名册上的党员（按用户范围）。

    身份证号和电话对无权查看敏感信息的用户打码显示；健康状况只对有权用户显示。
    列表默认包含全部状态（在册、已迁出、已故），用 status 筛选。
    转到其他服务社用“党员转接”，不能直接修改所属服务社。
    """

    queryset = Member.objects.all()
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    permission_classes = [ModelPermissions]
    sensitive_fields = (*SENSITIVE_FIELDS, "health_note")

    def get_queryset(self) -> MemberQuerySet:
        queryset = cast(MemberQuerySet, super().get_queryset())
        # Built per request: ages and current roles depend on today.
        return (
            queryset.with_ages()
            .select_related("person__community", "club")
            .prefetch_related(
                "tags",
                Prefetch("roles", queryset=MemberRole.objects.current(), to_attr="current_roles"),
            )
        )

    def perform_create(self, serializer: serializers.BaseSerializer[Member]) -> None:
        data = dict(serializer.validated_data)
        with service_errors():
            member = services.member_create(
                actor=self.request.user,
                club=data.pop("club"),
                person=data.pop("person", {}),
                tags=data.pop("tags", ()),
                **data,
            )
        serializer.instance = self.reload(member.pk)

    def perform_update(self, serializer: serializers.BaseSerializer[Member]) -> None:
        data = dict(serializer.validated_data)
        data.pop("club", None)  # unchanged: validate_club refuses any other
        member = cast(Member, serializer.instance)
        with service_errors():
            services.member_update(
                actor=self.request.user,
                member=member,
                person=data.pop("person", None),
                tags=data.pop("tags", None),
                **data,
            )
        serializer.instance = self.reload(member.pk)


@extend_schema_view(
    list=extend_schema(summary="党员转接列表"),
    retrieve=extend_schema(summary="党员转接详情"),
    create=extend_schema(summary="申请党员转接（转出）"),
)
class MemberTransferViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[MemberTransfer],
):
    """党员转接（转出和转入两方服务社都能看到）。

    转出服务社申请；转入服务社接收（accept）或退回（decline）；转出服务社可撤回
    （decline 并填 cancel=true）。接收之前党员仍属转出服务社。
    """

    queryset = MemberTransfer.objects.select_related("member__person", "from_club", "to_club")
    serializer_class = MemberTransferSerializer
    filterset_class = MemberTransferFilter
    permission_classes = [ModelPermissions]

    def perform_create(self, serializer: serializers.BaseSerializer[MemberTransfer]) -> None:
        data = serializer.validated_data
        with service_errors():
            transfer = services.member_transfer_request(
                actor=self.request.user,
                member=data["member"],
                to_club=data["to_club"],
                reason=data.get("reason", ""),
            )
        serializer.instance = self.get_queryset().get(pk=transfer.pk)

    @extend_schema(
        summary="接收转入的党员",
        request=TransferAcceptSerializer,
        responses=MemberTransferSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=[DecidePermissions])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        transfer = self.get_object()
        form = TransferAcceptSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            services.member_transfer_accept(
                actor=request.user, transfer=transfer, note=form.validated_data.get("note", "")
            )
        return Response(self.get_serializer(self.get_queryset().get(pk=transfer.pk)).data)

    @extend_schema(
        summary="退回或撤回党员转接",
        request=TransferDeclineSerializer,
        responses=MemberTransferSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=[DecidePermissions])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        transfer = self.get_object()
        form = TransferDeclineSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            services.member_transfer_decline(
                actor=request.user,
                transfer=transfer,
                note=form.validated_data["note"],
                cancel=form.validated_data["cancel"],
            )
        return Response(self.get_serializer(self.get_queryset().get(pk=transfer.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="入党申请人列表"),
    retrieve=extend_schema(summary="入党申请人详情"),
    create=extend_schema(summary="登记入党申请人"),
)
class PartyApplicantViewSet(
    SensitiveResponseMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[PartyApplicant],
):
    """通过服务社递交入党申请书的人及其所处阶段（按用户范围）。

    身份证号和电话对无权查看敏感信息的用户打码显示。
    """

    queryset = PartyApplicant.objects.select_related("person__community", "club")
    serializer_class = PartyApplicantSerializer
    filterset_class = PartyApplicantFilter
    permission_classes = [ModelPermissions]

    def perform_create(self, serializer: serializers.BaseSerializer[PartyApplicant]) -> None:
        data = serializer.validated_data
        with service_errors():
            applicant = services.applicant_create(
                actor=self.request.user,
                club=data["club"],
                person=data.get("person", {}),
                applied_on=data["applied_on"],
                notes=data.get("notes", ""),
            )
        serializer.instance = self.reload(applicant.pk)


@extend_schema_view(list=extend_schema(summary="人才库标签列表"))
class TalentTagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[TalentTag]):
    """人才库标签（全网通用，不分服务社）；登记党员时按名称引用。"""

    queryset = TalentTag.objects.all()
    serializer_class = TalentTagSerializer
    permission_classes = [ModelPermissions]


router.register("members", MemberViewSet)
router.register("member-transfers", MemberTransferViewSet)
router.register("party-applicants", PartyApplicantViewSet)
router.register("talent-tags", TalentTagViewSet)
