"""Read-only API over the organisation, scoped like everything else."""

from rest_framework import serializers, viewsets

from fuwushe.api import router
from fuwushe.org.api_base import ScopedViewSetMixin
from fuwushe.org.models import Club, Community, Department


class DepartmentSerializer(serializers.ModelSerializer[Department]):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "branch_name", "is_active"]


class ClubSerializer(serializers.ModelSerializer[Club]):
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = Club
        fields = [
            "id",
            "code",
            "name",
            "department",
            "department_name",
            "address",
            "city",
            "county",
            "founded_on",
            "status",
            "merged_into",
            "merged_on",
        ]


class CommunitySerializer(serializers.ModelSerializer[Community]):
    class Meta:
        model = Community
        fields = ["id", "name", "club", "city", "county", "households"]


class DepartmentViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[Department]):
    """老年服务部（按用户范围）。"""

    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    filterset_fields = ["is_active"]


class ClubViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[Club]):
    """党员服务社（按用户范围）。"""

    queryset = Club.objects.select_related("department")
    serializer_class = ClubSerializer
    filterset_fields = ["department", "status", "city"]


class CommunityViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[Community]):
    """小区（按用户范围）。"""

    queryset = Community.objects.all()
    serializer_class = CommunitySerializer
    filterset_fields = ["club"]


router.register("departments", DepartmentViewSet)
router.register("clubs", ClubViewSet)
router.register("communities", CommunityViewSet)
