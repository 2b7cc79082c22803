"""People and the roles they hold: party members, their duties and tags, party applicants."""

from members.models.applicants import ApplicantQuerySet, PartyApplicant
from members.models.people import (
    PERSON_DETAIL_COLUMNS,
    SHORT_NUMBER,
    Gender,
    Person,
    PersonQuerySet,
    person_search_q,
    years_before,
)
from members.models.roster import (
    CARE_FLAGS,
    Category,
    Education,
    Member,
    MemberQuerySet,
    MemberRole,
    MemberRoleQuerySet,
    MemberTag,
    RelationshipHeldAt,
    TalentTag,
    advanced_age_q,
    advanced_age_threshold,
    aged_at_least_q,
    members_headcount,
)
from members.models.transfers import MemberTransfer, TransferQuerySet

__all__ = [
    "CARE_FLAGS",
    "PERSON_DETAIL_COLUMNS",
    "SHORT_NUMBER",
    "ApplicantQuerySet",
    "Category",
    "Education",
    "Gender",
    "Member",
    "MemberQuerySet",
    "MemberRole",
    "MemberRoleQuerySet",
    "MemberTag",
    "MemberTransfer",
    "PartyApplicant",
    "Person",
    "PersonQuerySet",
    "RelationshipHeldAt",
    "TalentTag",
    "TransferQuerySet",
    "advanced_age_q",
    "advanced_age_threshold",
    "aged_at_least_q",
    "members_headcount",
    "person_search_q",
    "years_before",
]
