"""The demo members as plain rows, planned without the database.

`member_rows`, `applicant_rows` and `roster_rows` take plain club descriptions and a random
stream and give plain rows; `plan_members` is everything the seeder writes, a pure
function of the seed. The import benchmark writes `roster_rows` to a spreadsheet.
"""

import math
import random
from bisect import bisect
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import Generic, TypeVar

from stdnum.cn import ric

from fuwushe.org import seed_data as org_seed_data
from fuwushe.seeding import SeedContext
from members import seed_data
from members.models import (
    Category,
    Education,
    Gender,
    Member,
    MemberRole,
    PartyApplicant,
    RelationshipHeldAt,
    years_before,
)

# The day the demo data describes. Fixed, not today: birth dates are inside the ID numbers,
# so a run on another day must plan the very same people.
AS_OF = date(2026, 7, 1)
FULL_MEMBERS = 39_000
FULL_APPLICANTS = 200
# 东利's published size; the benchmark's "club of 600".
DONGLI_SHARE = 600 / FULL_MEMBERS
MALE_SHARE = 0.55
DECEASED_SHARE = 0.01
MOVED_AWAY_SHARE = 0.005
# Roles go to members among a club's first rows, so a small run holds the same role holders
# as a full one (the rows of a club at small scale are the first rows of its full roster).
ROLE_POOL = 15
ROLE_FILLED_SHARE = 0.85
ROLES_SINCE = date(2018, 7, 1)

T = TypeVar("T")


# Draws from random() alone: randrange, randint and choice cost several times as much, and
# the full scale makes some two million draws.
def _below(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


def _range(rng: random.Random, start: int, stop: int) -> int:
    return start + _below(rng, stop - start)


def _randint(rng: random.Random, low: int, high: int) -> int:
    return low + _below(rng, high - low + 1)


def _choice(rng: random.Random, items: Sequence[T]) -> T:
    return items[_below(rng, len(items))]


class Weighted(Generic[T]):
    """Draw values by weight, with the cumulative weights computed once."""

    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        items = list(pairs)
        self.values = [value for value, _ in items]
        self.cumulative = list(accumulate(weight for _, weight in items))

    def pick(self, rng: random.Random) -> T:
        return self.values[bisect(self.cumulative, rng.random() * self.cumulative[-1])]


SURNAMES = Weighted(seed_data.SURNAMES)
ETHNICITIES = Weighted(seed_data.ETHNICITIES)
FORMER_UNITS = Weighted(seed_data.FORMER_UNITS)
AGE_BANDS = Weighted(
    [
        ((60, 64), 12),
        ((65, 69), 20),
        ((70, 74), 20),
        ((75, 79), 17),
        ((80, 84), 14),
        ((85, 89), 10),
        ((90, 94), 5),
        ((95, 100), 2),
    ]
)
CATEGORIES = Weighted(
    [
        (Category.RETIRED, 82),
        (Category.FAMILY, 7),
        (Category.VETERAN, 5),
        (Category.AGREEMENT_TERMINATED, 3.5),
        (Category.MOBILE, 1.5),
        (Category.UNEMPLOYED_CHILD, 0.7),
        (Category.OTHER, 0.3),
    ]
)
EDUCATION_OLDER = Weighted(
    [
        (Education.PRIMARY, 25),
        (Education.JUNIOR, 35),
        (Education.SENIOR, 28),
        (Education.COLLEGE, 8),
        (Education.BACHELOR, 4),
    ]
)
EDUCATION_YOUNGER = Weighted(
    [
        (Education.PRIMARY, 6),
        (Education.JUNIOR, 22),
        (Education.SENIOR, 38),
        (Education.COLLEGE, 20),
        (Education.BACHELOR, 13),
        (Education.POSTGRADUATE, 1),
    ]
)
# Shares of members in each care situation; 孤寡 mostly live alone too.
CARE_RATES = {"lives_alone": 0.07, "childless": 0.02, "disabled": 0.03, "hardship": 0.02}
WIDOWED_RATES = {Gender.FEMALE: 0.11, Gender.MALE: 0.015}
TAG_RATES = {"五老": 0.04, "文体骨干": 0.03, "讲师": 0.01, "顾问": 0.005}
# Stages of an application and the months from one to the next (at least a year as an
# activist and as a probationary member, as the party's rules require).
APPLICANT_STEPS: tuple[tuple[PartyApplicant.Stage, int, int], ...] = (
    (PartyApplicant.Stage.ACTIVIST, 3, 12),
    (PartyApplicant.Stage.CANDIDATE, 12, 18),
    (PartyApplicant.Stage.PROBATIONARY, 1, 4),
    (PartyApplicant.Stage.FULL, 12, 13),
)
APPLICATIONS_SINCE = date(2018, 1, 1)


# --- plain rows -------------------------------------------------------------------


@dataclass(frozen=True)
class RosterClub:
    """What the generator needs to know of a club; no database involved."""

    code: str
    name: str
    city: str
    county: str
    founded_on: date
    communities: tuple[tuple[str, int], ...]  # (community name, households)

    @property
    def households(self) -> int:
        return sum(n for _, n in self.communities)


def roster_clubs() -> list[RosterClub]:
    """The 76 active clubs of the organisation's reference data."""
    return [
        RosterClub(c.code, c.name, c.city, c.county, c.founded_on, c.communities)
        for c in org_seed_data.ACTIVE_CLUBS
    ]


@dataclass(frozen=True)
class PersonRow:
    name: str
    gender: str
    ethnicity: str
    birth_date: date
    id_number: str
    phone: str
    phone_alt: str
    emergency_contact: str
    emergency_phone: str
    community: str
    building: str
    unit: str
    room: str


@dataclass(frozen=True)
class MemberRow:
    club: str  # code
    person: PersonRow
    category: str
    joined_party_on: date
    former_unit: str
    relationship_held_at: str
    relationship_organisation: str
    education: str
    health_note: str
    lives_alone: bool
    childless: bool
    widowed: bool
    disabled: bool
    hardship: bool
    status: str
    registered_on: date
    left_on: date | None
    died_on: date | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class RoleRow:
    id_number: str
    role: str
    started_on: date


@dataclass(frozen=True)
class ApplicantRow:
    club: str
    person: PersonRow
    stage: str
    dates: dict[str, date]  # PartyApplicant date field → date, for each stage reached


def age_on(birth: date, day: date = AS_OF) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def club_sizes(clubs: Sequence[RosterClub], total: int, rng: random.Random) -> dict[str, int]:
    """Split `total` members over the clubs, summing exactly.

    By the square root of the households served (a big community holds more members, but
    not proportionally more), jittered; 东利 at its published share.
    """
    weights = {c.code: math.sqrt(c.households) * rng.uniform(0.85, 1.15) for c in clubs}
    sizes: dict[str, int] = {}
    if org_seed_data.DONGLI in weights and len(weights) > 1:
        del weights[org_seed_data.DONGLI]
        sizes[org_seed_data.DONGLI] = round(total * DONGLI_SHARE)
    rest = total - sum(sizes.values())
    whole = sum(weights.values())
    shares = {code: rest * w / whole for code, w in weights.items()}
    sizes.update({code: math.floor(share) for code, share in shares.items()})
    # Largest remainders get the members left over by rounding down.
    by_remainder = sorted(shares, key=lambda code: shares[code] - sizes[code], reverse=True)
    for code in by_remainder[: total - sum(sizes.values())]:
        sizes[code] += 1
    return sizes


def member_rows(
    club: RosterClub, count: int, rng: random.Random, used_ids: set[str]
) -> Iterator[MemberRow]:
    """`count` members of one club; ID numbers are kept unique against `used_ids`."""
    communities = Weighted(club.communities)
    local_unit = seed_data.LOCAL_UNITS.get(club.communities[0][0][:2])
    for _ in range(count):
        yield _member_row(club, communities, local_unit, rng, used_ids)


def _member_row(
    club: RosterClub,
    communities: Weighted[str],
    local_unit: str | None,
    rng: random.Random,
    used_ids: set[str],
) -> MemberRow:
    low, high = AGE_BANDS.pick(rng)
    person = _person_row(club, communities, _randint(rng, low, high), rng, used_ids)
    age = age_on(person.birth_date)
    category = CATEGORIES.pick(rng)
    joined = _joined_party(person.birth_date, rng)
    former_unit = _former_unit(category, local_unit, rng)
    held_at, organisation = _relationship(person.community, former_unit, rng)
    education = (EDUCATION_OLDER if age >= 80 else EDUCATION_YOUNGER).pick(rng)
    health = _choice(rng, seed_data.HEALTH_NOTES) if rng.random() < 0.3 + (age - 60) / 100 else ""
    flags = {flag: rng.random() < rate for flag, rate in CARE_RATES.items()}
    lives_alone = flags["lives_alone"] or (flags["childless"] and rng.random() < 0.7)
    widowed = rng.random() < WIDOWED_RATES[Gender(person.gender)]
    registered = _registered_on(club, person.birth_date, joined, rng)
    status, left_on, died_on = _status(registered, rng)
    tags = tuple(
        tag
        for tag, rate in TAG_RATES.items()
        if rng.random() < rate and status == Member.Status.ACTIVE
    )
    return MemberRow(
        club=club.code,
        person=person,
        category=category,
        joined_party_on=joined,
        former_unit=former_unit,
        relationship_held_at=held_at,
        relationship_organisation=organisation,
        education=education,
        health_note=health,
        lives_alone=lives_alone,
        childless=flags["childless"],
        widowed=widowed,
        disabled=flags["disabled"],
        hardship=flags["hardship"],
        status=status,
        registered_on=registered,
        left_on=left_on,
        died_on=died_on,
        tags=tags,
    )


def _person_row(
    club: RosterClub, communities: Weighted[str], age: int, rng: random.Random, used: set[str]
) -> PersonRow:
    gender = Gender.MALE if rng.random() < MALE_SHARE else Gender.FEMALE
    # A birth day that makes the person exactly `age` on AS_OF.
    birth = years_before(AS_OF, age) - timedelta(days=_below(rng, 365))
    name = _name(gender, birth.year, rng)
    phone, phone_alt = _phones(club.city, rng)
    contact, contact_phone = _emergency_contact(name, gender, rng)
    return PersonRow(
        name=name,
        gender=gender,
        ethnicity=ETHNICITIES.pick(rng),
        birth_date=birth,
        id_number=id_number(_region(club, rng), birth, gender, rng, used),
        phone=phone,
        phone_alt=phone_alt,
        emergency_contact=contact,
        emergency_phone=contact_phone,
        community=communities.pick(rng),
        building=str(_randint(rng, 1, 30)),
        unit=str(_randint(rng, 1, 6)),
        room=f"{_randint(rng, 1, 6)}0{_randint(rng, 1, 2)}",
    )


def _name(gender: str, birth_year: int, rng: random.Random) -> str:
    given_names = (
        seed_data.MALE_GIVEN_NAMES if gender == Gender.MALE else seed_data.FEMALE_GIVEN_NAMES
    )
    given = _choice(rng, given_names)
    for _ in range(5):
        first, last = seed_data.ERA_NAMES.get(given, (birth_year, birth_year))
        if first <= birth_year <= last:
            break
        given = _choice(rng, given_names)
    return SURNAMES.pick(rng) + given


def _region(club: RosterClub, rng: random.Random) -> str:
    """Most were first registered where the club is, many in Dongying, some far away."""
    local = seed_data.COUNTY_REGIONS.get(club.county, "370502")
    draw = rng.random()
    in_dongying = club.county in seed_data.DONGYING_REGIONS
    local_share, dongying_share = (0.65, 0.85) if in_dongying else (0.4, 0.8)
    if draw < local_share:
        return local
    if draw < dongying_share:
        return _choice(rng, list(seed_data.DONGYING_REGIONS.values()))
    if draw < 0.95:
        return _choice(rng, seed_data.SHANDONG_REGIONS)
    return _choice(rng, seed_data.OTHER_REGIONS)


def id_number(region: str, birth: date, gender: str, rng: random.Random, used: set[str]) -> str:
    """A valid GB 11643 number for the region, birth date and gender, not yet in `used`.

    The sequence code's last digit is odd for men and even for women; a taken number moves
    on to the next sequence code of the same parity.
    """
    sequence = 2 * _range(rng, 5, 500) + (1 if gender == Gender.MALE else 0)
    while True:
        body = f"{region}{birth:%Y%m%d}{sequence:03d}"
        # calc_check_digit reads the first 17 characters of a full-length number.
        number = body + ric.calc_check_digit(body + "0")
        if number not in used:
            used.add(number)
            return number
        sequence = (sequence + 2) % 1000 or 2


def _mobile(rng: random.Random) -> str:
    return _choice(rng, seed_data.MOBILE_PREFIXES) + f"{_below(rng, 10**8):08d}"


def _phones(city: str, rng: random.Random) -> tuple[str, str]:
    """About 80% have a mobile; a landline (as the services store it, 0546-8123456) is common."""
    area, digits = seed_data.AREA_CODES.get(city, ("0546", 7))
    first = _choice(rng, "78" if area == "0546" else "2345678")
    landline = f"{area}-{first}{_below(rng, 10 ** (digits - 1)):0{digits - 1}d}"
    draw = rng.random()
    if draw < 0.65:
        return _mobile(rng), ""
    if draw < 0.80:
        return _mobile(rng), landline
    if draw < 0.95:
        return landline, ""
    return "", ""


def _emergency_contact(name: str, gender: str, rng: random.Random) -> tuple[str, str]:
    """Usually a son or daughter: the father's surname, a name of their generation."""
    if rng.random() >= 0.7:
        return "", ""
    surname = _surname(name) if gender == Gender.MALE else SURNAMES.pick(rng)
    return surname + _choice(rng, seed_data.CHILD_GIVEN_NAMES), _mobile(rng)


def _surname(name: str) -> str:
    return name[:2] if name.startswith("欧阳") else name[:1]


def _joined_party(birth: date, rng: random.Random) -> date:
    """Mostly at 18–40, at the oilfield's units; a few later in life."""
    at = round(rng.triangular(18, 40, 24)) if rng.random() < 0.92 else _randint(rng, 40, 58)
    joined = years_before(birth, -at) + timedelta(days=_below(rng, 365))
    return min(joined, AS_OF - timedelta(days=_range(rng, 30, 365)))


def _former_unit(category: str, local_unit: str | None, rng: random.Random) -> str:
    if category == Category.FAMILY and rng.random() < 0.7:
        return ""
    if local_unit and rng.random() < 0.35:
        return local_unit
    return FORMER_UNITS.pick(rng)


def _relationship(community: str, former_unit: str, rng: random.Random) -> tuple[str, str]:
    """Since the end of 2020 most retirees' party relationships are with the community."""
    draw = rng.random()
    if draw < 0.72:
        return RelationshipHeldAt.COMMUNITY, f"{community}社区党委"
    if draw < 0.94 and former_unit:
        return RelationshipHeldAt.FORMER_UNIT, f"{former_unit}离退休党总支"
    return RelationshipHeldAt.OTHER, _choice(rng, seed_data.OTHER_ORGANISATIONS)


def _registered_on(club: RosterClub, birth: date, joined: date, rng: random.Random) -> date:
    """Most registered in the club's first two years; never before retiring or joining."""
    earliest = max(club.founded_on, joined, years_before(birth, -55))
    span = (AS_OF - earliest).days
    if span <= 30:
        return AS_OF - timedelta(days=_range(rng, 1, 30))
    days = _below(rng, min(span, 730)) if rng.random() < 0.6 else _below(rng, span)
    return earliest + timedelta(days=days)


def _status(registered: date, rng: random.Random) -> tuple[str, date | None, date | None]:
    draw = rng.random()
    if draw >= DECEASED_SHARE + MOVED_AWAY_SHARE:
        return Member.Status.ACTIVE, None, None
    # Mostly in the last four years: the records of earlier ones were cleared long ago.
    day = AS_OF - timedelta(days=_below(rng, max(1, min(1460, (AS_OF - registered).days))))
    if draw < DECEASED_SHARE:
        return Member.Status.DECEASED, None, day
    return Member.Status.MOVED_AWAY, day, None


def plan_roles(rows: Sequence[MemberRow], rng: random.Random) -> list[RoleRow]:
    """The 三长 and 六员 of one club, most filled, by active members under 82."""
    roles: list[RoleRow] = []
    for role in MemberRole.Role:
        filled, start, share = (
            rng.random() < ROLE_FILLED_SHARE,
            _below(rng, ROLE_POOL),
            rng.random(),
        )
        holder = next(
            (
                row
                for row in rows[start:ROLE_POOL]
                if row.status == Member.Status.ACTIVE and age_on(row.person.birth_date) < 82
            ),
            None,
        )
        if filled and holder is not None:
            since = max(holder.registered_on, ROLES_SINCE)
            started = since + timedelta(days=int((AS_OF - since).days * share))
            roles.append(RoleRow(holder.person.id_number, role, started))
    return roles


def applicant_rows(
    clubs: Sequence[RosterClub], count: int, rng: random.Random, used_ids: set[str]
) -> Iterator[ApplicantRow]:
    """Residents (not members) who handed in a party application through a club."""
    by_size = Weighted((club, float(club.households)) for club in clubs)
    for _ in range(count):
        club = by_size.pick(rng)
        age = round(rng.triangular(35, 70, 55))
        person = _person_row(club, Weighted(club.communities), age, rng, used_ids)
        stage, dates = _applicant_progress(rng)
        yield ApplicantRow(club.code, person, stage, dates)


def _applicant_progress(rng: random.Random) -> tuple[str, dict[str, date]]:
    """How far an application got by AS_OF; some stall at a stage."""
    day = APPLICATIONS_SINCE + timedelta(days=_below(rng, (AS_OF - APPLICATIONS_SINCE).days))
    stage: str = PartyApplicant.Stage.APPLICANT
    dates = {PartyApplicant.STAGE_DATES[PartyApplicant.Stage.APPLICANT]: day}
    for next_stage, low, high in APPLICANT_STEPS:
        day = day + timedelta(days=30 * _randint(rng, low, high) + _below(rng, 30))
        if day > AS_OF or rng.random() < 0.2:
            break
        stage = next_stage
        dates[PartyApplicant.STAGE_DATES[next_stage]] = day
    return stage, dates


# --- the roster as club staff keep it ---------------------------------------------


def roster_row(row: MemberRow, club: RosterClub) -> dict[str, object]:
    """A member as a line of a roster (花名册), under the column names staff write."""
    person = row.person
    yes = {True: "是", False: ""}
    return {
        "姓名": person.name,
        "性别": Gender(person.gender).label,
        "民族": person.ethnicity,
        "出生日期": person.birth_date,
        "身份证号": person.id_number,
        "联系电话": person.phone,
        "备用电话": person.phone_alt,
        "紧急联系人": person.emergency_contact,
        "紧急联系人电话": person.emergency_phone,
        "所属服务社": club.name,
        "居住小区": person.community,
        "楼号": person.building,
        "单元": person.unit,
        "房号": person.room,
        "党员类别": Category(row.category).label,
        "入党时间": row.joined_party_on,
        "原工作单位": row.former_unit,
        "组织关系所在": RelationshipHeldAt(row.relationship_held_at).label,
        "组织关系所在党组织": row.relationship_organisation,
        "文化程度": Education(row.education).label,
        "健康状况": row.health_note,
        "独居": yes[row.lives_alone],
        "孤寡": yes[row.childless],
        "遗孀": yes[row.widowed],
        "残疾": yes[row.disabled],
        "特困": yes[row.hardship],
        "人才库标签": "、".join(row.tags),
        "登记日期": row.registered_on,
    }


def roster_rows(
    clubs: Sequence[RosterClub],
    count: int,
    rng: random.Random,
    *,
    used_ids: Iterable[str] = (),
) -> Iterator[dict[str, object]]:
    """`count` roster lines over `clubs`, club by club, with a 所属服务社 column.

    Pure: no database. A roster lists the people on it, so status and dates of death are
    not columns. Pass `used_ids` to keep clear of ID numbers already in use.
    """
    used = set(used_ids)
    sizes = club_sizes(clubs, count, rng)
    for club in clubs:
        for row in member_rows(club, sizes[club.code], rng, used):
            yield roster_row(row, club)


# --- the plan of the seeder -----------------------------------------------------


@dataclass
class MembersPlan:
    members: list[MemberRow]
    roles: list[RoleRow]
    applicants: list[ApplicantRow]


def planned_counts(context: SeedContext) -> dict[str, int]:
    """Members per club code at the context's scale (every club gets at least one)."""
    full_sizes = club_sizes(roster_clubs(), FULL_MEMBERS, context.rng("members"))
    return {code: context.scale.count(size) for code, size in full_sizes.items()}


def plan_members(context: SeedContext) -> MembersPlan:
    """Everything the members seeder writes, as plain rows; a pure function of the seed.

    Each club draws from its own stream, so its rows at a small scale are the first rows
    of its full-scale roster. An applicant admitted as a full member is on her club's
    roster too: she takes the place of the club's last planned row, so that each club
    keeps its size (东利 its 600).
    """
    clubs = roster_clubs()
    counts = planned_counts(context)
    used: set[str] = set()
    rosters = {
        club.code: list(
            member_rows(club, counts[club.code], context.rng(f"members:{club.code}"), used)
        )
        for club in clubs
    }
    count = context.scale.count(FULL_APPLICANTS)
    applicants = list(applicant_rows(clubs, count, context.rng("members:applicants"), used))
    admitted = Counter(row.club for row in applicants if row.stage == PartyApplicant.Stage.FULL)
    members: list[MemberRow] = []
    roles: list[RoleRow] = []
    for club in clubs:
        rows = rosters[club.code][: max(0, counts[club.code] - admitted[club.code])]
        members.extend(rows)
        roles.extend(plan_roles(rows, context.rng(f"members:{club.code}:roles")))
    return MembersPlan(members, roles, applicants)
