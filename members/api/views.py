"""Viewsets of the members API, registered on the one router."""

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, cast

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fuwushe.api import router
from fuwushe.audit.access import record_sensitive_access
from fuwushe.org.api_base import ScopedViewSetMixin, refuse_unknown_fields
from fuwushe.org.models import Club
from members import lookups, services
from members.api.filters import MemberFilter, MemberTransferFilter, PartyApplicantFilter
from members.api.serializers import (
    DecidePermissions,
    MemberSerializer,
    MemberTransferSerializer,
    ModelPermissions,
    PartyApplicantSerializer,
    TalentTagSerializer,
    TransferAcceptSerializer,
    TransferDeclineSerializer,
    service_errors,
)
from members.models import (
    Member,
    MemberQuerySet,
    MemberRole,
    MemberTransfer,
    PartyApplicant,
    TalentTag,
)
from members.privacy import SENSITIVE_FIELDS, may_view_sensitive

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

    def answering(self) -> AbstractContextManager[lookups.Lookups]:
        """ID numbers looked up by the write, logged with this request (members.lookups)."""
        return lookups.answering(self.request.user, request=self.request._request)

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
            .with_advanced_age()
            .select_related("person__community", "club")
            .prefetch_related(
                "tags",
                Prefetch("roles", queryset=MemberRole.objects.current(), to_attr="current_roles"),
            )
        )

    def perform_create(self, serializer: serializers.BaseSerializer[Member]) -> None:
        data = dict(serializer.validated_data)
        with self.answering(), service_errors():
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
        with self.answering(), service_errors():
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
        refuse_unknown_fields(form)
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
        refuse_unknown_fields(form)
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
        with self.answering(), service_errors():
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
