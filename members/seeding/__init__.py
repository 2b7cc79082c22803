"""Demo members: about 39,000 at full scale over the 76 clubs, with roles, tags and applicants.

Planned as plain rows without the database (`rows`), then written in bulk (`writing`).
"""

from fuwushe.audit.tracking import acting_as
from fuwushe.seeding import SeedContext, seeder
from members.models import Member
from members.seeding.rows import (
    AS_OF,
    FULL_APPLICANTS,
    FULL_MEMBERS,
    ApplicantRow,
    MemberRow,
    MembersPlan,
    PersonRow,
    RoleRow,
    RosterClub,
    age_on,
    applicant_rows,
    club_sizes,
    id_number,
    member_rows,
    plan_members,
    planned_counts,
    roster_clubs,
    roster_row,
    roster_rows,
)
from members.seeding.writing import write

__all__ = [
    "AS_OF",
    "FULL_APPLICANTS",
    "FULL_MEMBERS",
    "ApplicantRow",
    "MemberRow",
    "MembersPlan",
    "PersonRow",
    "RoleRow",
    "RosterClub",
    "age_on",
    "applicant_rows",
    "club_sizes",
    "id_number",
    "member_rows",
    "plan_members",
    "planned_counts",
    "roster_clubs",
    "roster_row",
    "roster_rows",
    "seed_members",
]


@seeder("members", order=30)
def seed_members(context: SeedContext) -> str:
    """Create the planned members, roles, tags and applicants that are missing, attributed to
    seed_demo; what exists is left as it is."""
    plan = plan_members(context)
    with acting_as(None, source="seed_demo"):
        written = write(plan)
    deceased = sum(1 for row in plan.members if row.status == Member.Status.DECEASED)
    moved = sum(1 for row in plan.members if row.status == Member.Status.MOVED_AWAY)
    tags = sum(len(row.tags) for row in plan.members)
    return (
        f"党员 {len(plan.members)} 人（已故 {deceased}、已迁出 {moved}），三长六员 "
        f"{len(plan.roles)} 项，人才库标签 {tags} 个，入党申请人 {len(plan.applicants)} 人；"
        f"本次新增 {written.created} 条（已有的记录不改动）"
    )
