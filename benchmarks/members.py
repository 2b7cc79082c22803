"""Benchmark the admin member change list: a club of 600, the center over 39,000, a search.

    python benchmarks/members.py [--scale full] [--database fuwushe_bench] [--repeat 20]

Seeds the benchmark database (never the developer's) when it holds fewer members than the
scale plans, then requests each page with Django's test client, signed in as the person
who uses it: warm-up, then `repeat` rounds taking the pages in turn (so that a busy
machine slows them all alike); median and p95 server time, SQL statements per page,
peak memory. The baseline is the same page for a club of 5 members, made for the run and
rolled back: what the page costs with (almost) no rows. `ratio` (center ÷ baseline) and
`club_ratio` show how the list's cost grows with the roster; `center_club_ratio` compares
two full pages of 50 rows over 39,000 and over 600 members, where only the data size
differs. Last line: one JSON object.
"""

import argparse
import random
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (
    DEFAULT_DATABASE,
    DEFAULT_REDIS_DB,
    Timing,
    peak_memory_mb,
    peak_rss_mb,
    print_figures,
    query_counter,
    rounded,
    say,
    setup_django,
    time_in_turn,
)
from fuwushe.seeding import SCALES, Scale, SeedContext

URL = "/admin/members/member/"
TINY_CLUB_SIZE = 5
TINY_CLUB_CODE = "BENCH"


class BenchmarkError(Exception):
    pass


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    get: Callable[[], object]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="党员列表页面的服务器耗时、SQL 条数和内存。")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="基准测试专用数据库名")
    parser.add_argument("--repeat", type=int, default=20, help="每个页面计时的次数")
    parser.add_argument("--warmup", type=int, default=3, help="计时前预热的次数")
    parser.add_argument("--seed", type=int, default=2007, help="演示数据的随机种子")
    parser.add_argument(
        "--redis-db", type=int, default=DEFAULT_REDIS_DB, help="基准测试专用的 Redis 库号"
    )
    args = parser.parse_args(argv)
    setup_django(args.database, redis_db=args.redis_db)
    try:
        run(scale=SCALES[args.scale], repeat=args.repeat, warmup=args.warmup, seed=args.seed)
    except BenchmarkError as exc:
        print(f"基准测试无法进行：{exc}", file=sys.stderr)
        return 1
    return 0


def run(
    *,
    scale: Scale,
    repeat: int = 20,
    warmup: int = 3,
    seed: int = 2007,
    out: TextIO = sys.stdout,
) -> dict[str, Any]:
    """Measure on the configured database, seeding it first if needed; print and return."""
    # Models load only once Django is configured (main does that first).
    from fuwushe.org import seed_data
    from fuwushe.org.models import Club
    from members.models import Member, Person

    _ensure_seeded(scale, seed, out)
    dongli = Club.objects.get(code=seed_data.DONGLI)
    members = Member.objects.count()
    club_members = Member.objects.filter(club=dongli).count()
    initials, id_tail = _search_terms(Person)
    director, center = (_client_for(_user(name)) for name in ("dongli_director", "center_admin"))
    with _tiny_club(seed) as tiny_director:
        baseline = _client_for(tiny_director)
        pages = [
            Page(
                "club_list",
                f"服务社主任看本社（{dongli.name}，{club_members} 人）",
                _getter(director, URL),
            ),
            Page("center_list", f"中心管理员看全部（{members} 人）", _getter(center, URL)),
            Page(
                "search_pinyin",
                f"中心按拼音首字母“{initials}”搜索",
                _getter(center, f"{URL}?q={initials}"),
            ),
            Page(
                "search_id",
                f"中心按身份证号末 4 位“{id_tail}”搜索",
                _getter(center, f"{URL}?q={id_tail}"),
            ),
            Page(
                "baseline",
                f"基准：服务社主任看只有 {TINY_CLUB_SIZE} 人的服务社",
                _getter(baseline, URL),
            ),
        ]
        calls = {page.key: page.get for page in pages}
        timings = time_in_turn(calls, repeat=repeat, warmup=warmup)
        # The fewest of a few tries: a cold cache (configuration lives in Redis) adds one.
        queries = {page.key: min(_count_queries(page.get) for _ in range(3)) for page in pages}
        peak = max(peak_memory_mb(page.get)[1] for page in pages)
    figures = _figures(members, club_members, timings, queries, peak, scale, repeat)
    _report(out, pages, timings, queries, figures)
    return figures


def _ensure_seeded(scale: Scale, seed: int, out: TextIO) -> None:
    from django.core.management import call_command

    from members.models import Member
    from members.seeding import planned_counts

    planned = sum(planned_counts(SeedContext(scale=scale, seed=seed)).values())
    if Member.objects.count() < planned:
        say(out, f"数据库中党员不足 {planned} 人，先生成演示数据……")
        call_command("seed_demo", "--scale", scale.name, "--seed", str(seed), stdout=out)


def _search_terms(person_model: Any) -> tuple[str, str]:
    """Pinyin initials and an ID number's last 4 characters, taken from seeded members."""
    people = person_model.objects.filter(member__isnull=False).order_by("pk")
    first = people.first()
    hundredth = people[min(99, people.count() - 1)]
    if first is None:
        raise BenchmarkError("数据库中没有党员。")
    return first.name_initials, hundredth.id_number[-4:]


def _user(username: str) -> Any:
    from fuwushe.org.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise BenchmarkError(f"找不到演示账号 {username}（seed_demo 会创建它）。")
    return user


def _client_for(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _getter(client: Any, url: str) -> Callable[[], object]:
    def get() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise BenchmarkError(f"{url} 返回 HTTP {response.status_code}")
        return response

    return get


@contextmanager
def _tiny_club(seed: int) -> Iterator[Any]:
    """A club of a few members and its director, for the baseline; rolled back afterwards."""
    from django.db import transaction

    from fuwushe.org.models import Club, Community, Level, StaffPosting, User
    from fuwushe.org.services import sync_user_groups
    from members.models import Person
    from members.seeding import RosterClub, member_rows
    from members.services import member_create

    with transaction.atomic():
        dongli = Club.objects.get(code="C001")
        club = Club.objects.create(
            code=TINY_CLUB_CODE,
            name="基准测试党员服务社",
            department=dongli.department,
            city=dongli.city,
            county=dongli.county,
            founded_on=date(2020, 1, 1),
        )
        community = Community.objects.create(
            name="基准测试小区", club=club, city=club.city, county=club.county, households=20
        )
        center = User.objects.get(username="center_admin")
        roster = RosterClub(
            club.code, club.name, club.city, club.county, date(2020, 1, 1), ((community.name, 20),)
        )
        used = set(Person.objects.values_list("id_number", flat=True))
        rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        for row in member_rows(roster, TINY_CLUB_SIZE, rng, used):
            member_create(
                actor=center,
                club=club,
                person={**vars(row.person), "community": community},
                category=row.category,
                joined_party_on=row.joined_party_on,
                former_unit=row.former_unit,
                education=row.education,
                registered_on=row.registered_on,
            )
        director = User.objects.create(
            username="bench_tiny_director", is_staff=True, must_change_password=False
        )
        StaffPosting.objects.create(
            user=director,
            level=Level.CLUB,
            role=StaffPosting.Role.DIRECTOR,
            club=club,
            started_on=date(2020, 1, 1),
        )
        sync_user_groups(director)
        yield director
        transaction.set_rollback(True)


def _count_queries(call: Callable[[], object]) -> int:
    with query_counter() as queries:
        call()
    return queries.count


def _figures(
    members: int,
    club_members: int,
    timings: dict[str, Timing],
    queries: dict[str, int],
    peak: float,
    scale: Scale,
    repeat: int,
) -> dict[str, Any]:
    def ms(key: str) -> float:
        return rounded(timings[key].median_ms)

    search = max(("search_pinyin", "search_id"), key=lambda key: timings[key].median_ms)
    baseline = timings["baseline"].median_ms
    return {
        "members": members,
        "scale": scale.name,
        "repeat": repeat,
        "club_members": club_members,
        "club_list_ms": ms("club_list"),
        "club_list_p95_ms": rounded(timings["club_list"].p95_ms),
        "club_list_queries": queries["club_list"],
        "center_list_ms": ms("center_list"),
        "center_list_p95_ms": rounded(timings["center_list"].p95_ms),
        "center_list_queries": queries["center_list"],
        "search_ms": ms(search),
        "search_p95_ms": rounded(timings[search].p95_ms),
        "search_queries": queries[search],
        "search_pinyin_ms": ms("search_pinyin"),
        "search_id_ms": ms("search_id"),
        "baseline_ms": ms("baseline"),
        "baseline_queries": queries["baseline"],
        "ratio": rounded(timings["center_list"].median_ms / baseline, 2),
        "club_ratio": rounded(timings["club_list"].median_ms / baseline, 2),
        "center_club_ratio": rounded(
            timings["center_list"].median_ms / timings["club_list"].median_ms, 2
        ),
        "peak_mb": rounded(peak),
        "rss_mb": rounded(peak_rss_mb()),
    }


def _report(
    out: TextIO,
    pages: list[Page],
    timings: dict[str, Timing],
    queries: dict[str, int],
    figures: dict[str, Any],
) -> None:
    say(out, f"党员列表 {URL}：每页计时 {figures['repeat']} 次（服务器耗时，中位数 / p95）")
    for page in pages:
        timing = timings[page.key]
        say(
            out,
            f"  {page.label}：{timing.median_ms:.1f} / {timing.p95_ms:.1f} ms，"
            f"SQL {queries[page.key]} 条",
        )
    say(
        out,
        f"  全部 {figures['members']} 人 ÷ 基准 = {figures['ratio']} 倍；"
        f"本社 {figures['club_members']} 人 ÷ 基准 = {figures['club_ratio']} 倍；"
        f"全部 ÷ 本社 = {figures['center_club_ratio']} 倍",
    )
    say(
        out,
        f"  单次请求 Python 内存峰值 {figures['peak_mb']} MB；"
        f"进程常驻内存峰值 {figures['rss_mb']} MB",
    )
    print_figures(figures, out)


if __name__ == "__main__":
    sys.exit(main())
