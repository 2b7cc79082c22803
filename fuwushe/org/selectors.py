"""Reads about the organisation that cross models: headcounts and the staffing rule."""

from collections.abc import Callable
from typing import Any

from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Concat, Replace
from django.utils import timezone

from fuwushe.org.models import AreaCode, Club, ClubQuerySet, StaffPosting

CLUB_SUFFIX = "党员服务社"


def club_key(text: str) -> str:
    """How people write a club: 东利, 东利党员服务社, or its code C001."""
    return "".join(text.split()).removesuffix(CLUB_SUFFIX)


def club_lookup() -> dict[str, Club]:
    """Every club by its code and by its name with or without 党员服务社 (for imports)."""
    lookup: dict[str, Club] = {}
    for club in Club.objects.all():
        lookup[club_key(club.name)] = club
        lookup[club.code] = club
    return lookup


def city_key(city: str) -> str:
    """How a club's city is matched to its area code: 东营 and 东营市 are one city."""
    return "".join(city.split()).removesuffix("市")


def area_codes() -> dict[str, str]:
    """The area codes the center keeps (AreaCode), by city_key."""
    return {city_key(city): code for city, code in AreaCode.objects.values_list("city", "code")}


def club_area_code(club: Club | None, codes: dict[str, str] | None = None) -> str:
    """The area code of the club's city, "" when the club has no city or its city no code.
    A local number typed for the club's people takes it."""
    if club is None or not club.city:
        return ""
    if codes is None:
        key = city_key(club.city)
        row = AreaCode.objects.filter(city__in={club.city, key, f"{key}市"}).first()
        return row.code if row else ""
    return codes.get(city_key(club.city), "")


def clubs_in_city() -> Coalesce:
    """For an AreaCode row (OuterRef): how many active clubs are in its city, written with
    or without 市 (city_key's rule, in SQL)."""
    city = OuterRef("city")
    bare = Replace(city, Value("市"), Value(""))
    clubs = Club.objects.filter(
        Q(city=city) | Q(city=bare) | Q(city=Concat(bare, Value("市"))),
        status=Club.Status.ACTIVE,
    )
    # One group (status is fixed), counted.
    counted = clubs.order_by().values("status").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


# A club with more than this many non-serving members plus volunteers needs 2–3
# full- or part-time staff; a smaller one needs 2 (DOMAIN.md, staffing rule).
LARGE_CLUB_HEADCOUNT = 100
MIN_STAFF = 2

# Apps that hold people (members, volunteers) register an expression counting a
# club's people for OuterRef("pk"); the headcount is their sum.
_headcount_expressions: list[Callable[[], Any]] = []


def register_headcount(expression: Callable[[], Any]) -> None:
    _headcount_expressions.append(expression)


def headcount_expression() -> Combinable:
    total: Combinable = Value(0)
    for make in _headcount_expressions:
        total = total + Coalesce(make(), Value(0))
    return total


def staff_count_expression() -> Subquery:
    today = timezone.localdate()
    postings = (
        StaffPosting.objects.filter(club=OuterRef("pk"), level="club", started_on__lte=today)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
        .order_by()
        .values("club")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(postings)


def with_staffing(clubs: ClubQuerySet) -> ClubQuerySet:
    """Annotate headcount, staff_count and staffing_status (short/ok/over/inactive)."""
    return clubs.annotate(
        headcount=headcount_expression(),
        staff_count=Coalesce(staff_count_expression(), Value(0)),
    ).annotate(
        staff_max=Case(When(headcount__gt=LARGE_CLUB_HEADCOUNT, then=Value(3)), default=Value(2)),
        staffing_status=Case(
            # Merged and closed clubs have no staff to count.
            When(~Q(status="active"), then=Value("inactive")),
            When(staff_count__lt=MIN_STAFF, then=Value("short")),
            When(staff_count__gt=F("staff_max"), then=Value("over")),
            default=Value("ok"),
        ),
    )
