"""The one rule for matching a community as a ledger writes it to the club's register.

Ledgers write "东利小区", "东利社区3号楼" or "东利 12#" where the register holds "东利"
(or "东利小区"): both sides are compared ignoring whitespace, full-width forms, the
suffixes below and a trailing building number, then the community's aliases the same way.
Every importer that reads a community column uses `CommunityLookup`.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping

from fuwushe.org.models import Community

SUFFIXES = ("小区", "社区", "居委会", "片区")
# A number or range of buildings after the name: 3号楼, 1-5栋, 12#, 2号院3单元.
_BUILDING = re.compile(r"(?:\d+(?:[-~～至到]\d+)?(?:号楼|号院|号|栋|幢|楼|座|单元|#)?)+$")
_SPACE = re.compile(r"\s+")
# What marks a key written by two communities of one club: matching it would be a guess.
AMBIGUOUS = 0


def _plain(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).lower()


def _without_suffix(text: str) -> str:
    stripped = True
    while stripped:
        stripped = False
        for suffix in SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text.removesuffix(suffix)
                stripped = True
    return text


def community_keys(text: str) -> list[str]:
    """The keys a written name matches by, the closer one first (building number kept)."""
    plain = _plain(text)
    whole = _without_suffix(plain)
    bare = _BUILDING.sub("", plain)
    keys = [whole]
    if bare and bare != plain:
        keys.append(_without_suffix(bare))
    return [key for key in dict.fromkeys(keys) if key]


def _names(community: Community) -> list[str]:
    return [community.name, *community.aliases]


class CommunityLookup:
    """Every community of the clubs, by club and key, read once for a whole file."""

    def __init__(self, communities: Iterable[Community]) -> None:
        # Whole keys win over keys without the building number, so that a register holding
        # both "新村1" and "新村2" still tells them apart.
        self.exact: dict[tuple[int, str], int] = {}
        self.loose: dict[tuple[int, str], int] = {}
        self.mapped: dict[tuple[int, str], int] = {}
        for community in communities:
            for name in _names(community):
                keys = community_keys(name)
                self._add(self.exact, community.club_id, keys[:1], community.pk)
                self._add(self.loose, community.club_id, keys[1:], community.pk)

    @classmethod
    def for_clubs(cls, club_ids: Iterable[int] | None = None) -> "CommunityLookup":
        communities = Community.objects.only("pk", "club_id", "name", "aliases")
        if club_ids is not None:
            communities = communities.filter(club_id__in=list(club_ids))
        return cls(communities)

    @staticmethod
    def _add(index: dict[tuple[int, str], int], club_id: int, keys: list[str], pk: int) -> None:
        for key in keys:
            found = index.setdefault((club_id, key), pk)
            if found != pk:
                index[(club_id, key)] = AMBIGUOUS

    def map(self, club_id: int, written: str, community_id: int) -> None:
        """Read `written` as this community for this run (a mapping the user chose)."""
        for key in community_keys(written):
            self.mapped[(club_id, key)] = community_id

    def map_all(self, mapping: Mapping[str, Community]) -> None:
        for written, community in mapping.items():
            self.map(community.club_id, written, community.pk)

    def match(self, club_id: int, written: str) -> int | None:
        """The community id, or None when nothing (or more than one community) matches."""
        keys = community_keys(written)
        for index in (self.mapped, self.exact, self.loose):
            for key in keys:
                found = index.get((club_id, key))
                if found is not None:
                    return found or None
        return None


def alias_conflicts(community: Community, aliases: Iterable[str]) -> list[str]:
    """The aliases that another community of the same club already goes by."""
    others = Community.objects.filter(club_id=community.club_id).exclude(pk=community.pk)
    taken = {key for other in others for name in _names(other) for key in community_keys(name)[:1]}
    return [alias for alias in aliases if set(community_keys(alias)[:1]) & taken]
