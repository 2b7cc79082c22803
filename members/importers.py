"""The members roster (花名册) importer: every row checked in batches, then written in bulk.

Blank cells never clear what is on record (a ledger may lack a value the club already
has); in the care-flag columns a blank means "no", as ledgers mark only the yes cases.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import CharField
from django.utils import timezone

from fuwushe.bulk import analyze, insert_rows, select_by_keys
from fuwushe.imports import cells
from fuwushe.imports.reading import Column, Rejected, Row, Table
from fuwushe.imports.registry import (
    ImportContext,
    Importer,
    Plan,
    RowError,
    RowWarning,
    register,
)
from fuwushe.org.communities import CommunityLookup
from fuwushe.org.models import Club
from fuwushe.org.selectors import area_codes, club_area_code, club_key, club_lookup
from members import identity, lookups
from members.models import (
    CARE_FLAGS,
    PERSON_DETAIL_COLUMNS,
    Category,
    Education,
    Member,
    PartyApplicant,
    Person,
    RelationshipHeldAt,
)
from members.privacy import may_view_sensitive
from members.resources import HEADINGS

# Other wordings ledgers use for each heading of the resource (members/resources.py).
ALIASES: dict[str, tuple[str, ...]] = {
    "club": ("服务社", "党员服务社", "所在服务社", "服务社名称"),
    "name": ("名字", "党员姓名"),
    "birth_date": ("出生年月", "出生时间", "生日", "出生年月日"),
    "id_number": ("身份证号码", "身份证", "公民身份号码", "身份证件号码", "公民身份证号"),
    "phone": ("电话", "手机", "手机号", "手机号码", "联系方式", "电话号码"),
    "phone_alt": ("固定电话", "座机", "家庭电话", "其他电话"),
    "emergency_contact": ("联系人",),
    "emergency_phone": ("紧急联系电话", "联系人电话"),
    "community": ("居住小区", "所在小区", "小区名称"),
    "building": ("楼栋", "楼", "楼栋号"),
    "unit": ("单元号",),
    "room": ("门牌号", "室", "房间号"),
    "joined_party_on": ("入党日期", "入党年月"),
    "category": ("类别", "人员类别", "党员类型"),
    "former_unit": ("原单位", "工作单位", "退休前单位"),
    "education": ("学历",),
    "relationship_held_at": ("组织关系", "组织关系所在地"),
    "relationship_organisation": ("所在党组织", "党组织"),
    "health_note": ("身体状况", "健康情况"),
    "widowed": ("遗孀户",),
    "hardship": ("特困户",),
    "notes": ("说明",),
}
REQUIRED = {"name", "id_number"}
COLUMNS = tuple(
    Column(key, heading, ALIASES.get(key, ()), required=key in REQUIRED)
    for key, heading in HEADINGS.items()
)

CATEGORY_ALIASES = {
    "离退休": Category.RETIRED,
    "退休": Category.RETIRED,
    "离休": Category.RETIRED,
    "流动": Category.MOBILE,
    "协解": Category.AGREEMENT_TERMINATED,
    "家属": Category.FAMILY,
    "复转军人": Category.VETERAN,
    "退伍军人": Category.VETERAN,
    "退伍军人党员": Category.VETERAN,
    "复员军人": Category.VETERAN,
    "转业军人": Category.VETERAN,
    "待业子女": Category.UNEMPLOYED_CHILD,
    "在职": Category.SERVING_AFTER_HOURS,
    "在职党员": Category.SERVING_AFTER_HOURS,
    "在职八小时外": Category.SERVING_AFTER_HOURS,
}
EDUCATION_ALIASES = {
    "小学": Education.PRIMARY,
    "文盲": Education.PRIMARY,
    "初中": Education.JUNIOR,
    "高中": Education.SENIOR,
    "中专": Education.SENIOR,
    "技校": Education.SENIOR,
    "专科": Education.COLLEGE,
    "大学": Education.BACHELOR,
    "大学本科": Education.BACHELOR,
    "硕士": Education.POSTGRADUATE,
    "博士": Education.POSTGRADUATE,
}
RELATIONSHIP_ALIASES = {
    "社区": RelationshipHeldAt.COMMUNITY,
    "单位": RelationshipHeldAt.FORMER_UNIT,
}

PERSON_TEXT = ("ethnicity", "emergency_contact", "building", "unit", "room")
MEMBER_TEXT = ("former_unit", "relationship_organisation", "health_note", "notes")
PERSON_KEYS = PERSON_DETAIL_COLUMNS
MEMBER_KEYS = (
    "category",
    "joined_party_on",
    "former_unit",
    "relationship_held_at",
    "relationship_organisation",
    "education",
    "health_note",
    *CARE_FLAGS,
    "notes",
)
DATE_KEYS = ("birth_date", "joined_party_on")
# The phone and other-phone columns share two numbers (a cell may hold both).
PHONE_PAIR = ("phone", "phone_alt")
BATCH = 5000

# What Excel leaves at the end of an 18-digit number it kept to 15 digits.
EXCEL_ZEROS = "000"
# After writing this many rows, refresh the planner's statistics (see fuwushe.bulk.analyze).
ANALYZE_FROM = 1000
# The columns the roster's lists join and filter on, whose statistics are refreshed then.
PLANNED_COLUMNS = {
    Person: ("id", "community", "birth_date"),
    Member: ("id", "person", "club", "status"),
}


def _max_lengths() -> dict[str, int]:
    lengths = {}
    for model in (Person, Member):
        for field in model._meta.concrete_fields:
            if isinstance(field, CharField) and field.max_length:
                lengths[field.name] = field.max_length
    return lengths


# What a cell may hold in each text column, from the models (a longer one is a row error,
# not a failed write).
MAX_LENGTHS = _max_lengths()


class RowErrors(Exception):
    def __init__(self, errors: list[RowError], id_number: str | None) -> None:
        self.errors = errors
        self.id_number = id_number  # when it was readable: a later row may repeat it


@register
class MemberImporter(Importer):
    kind = "members"
    columns = COLUMNS

    def validate(self, table: Table, context: ImportContext) -> Plan:
        if "club" not in table.columns and context.club is None:
            raise Rejected(
                "no_club",
                "文件没有“所属服务社”列，请指定要导入到哪个服务社"
                "（命令行用 --club，网页导入时选择服务社）。",
            )
        with lookups.answering(context.actor, scope=context.scope, purpose="导入花名册") as answers:
            return self._validate(table, context, answers)

    def _validate(self, table: Table, context: ImportContext, answers: lookups.Lookups) -> Plan:
        checker = _RowChecker(table, context)
        plan = Plan()
        classifier = _Classifier(checker, context, plan, answers)
        # Rows are checked as they are read and classified a batch at a time, so that the
        # file's rows are never all held at once: only the plan grows.
        parsed: list[tuple[int, dict[str, Any]]] = []
        suspects: list[tuple[int, dict[str, Any]]] = []
        seen: dict[str, int] = {}
        for row in table.rows:
            plan.rows += 1
            try:
                values = checker.check(row)
            except RowErrors as failed:
                plan.errors += failed.errors
                plan.error_rows += 1
                if failed.id_number:
                    seen.setdefault(failed.id_number, row.number)
                continue
            first = seen.setdefault(values["id_number"], row.number)
            if first != row.number:
                plan.errors.append(checker.duplicate(row, values["id_number"], first))
                plan.error_rows += 1
                continue
            plan.warnings += checker.row_warnings
            if values["id_number"].endswith(EXCEL_ZEROS):
                # A real number may end in 000, and so may one Excel truncated that still
                # passes the check character (about one in eleven). Decided at the end:
                # suspect only if the file shows Excel damage elsewhere.
                suspects.append((row.number, values))
                continue
            parsed.append((row.number, values))
            if len(parsed) == BATCH:
                classifier.classify(parsed)
                parsed = []
        if checker.excel_damage:
            plan.errors += [checker.suspect(number, v["id_number"]) for number, v in suspects]
            plan.error_rows += len(suspects)
        else:
            parsed += suspects
        classifier.classify(parsed)
        classifier.finish()
        plan.errors.sort(key=lambda e: e.row)
        return plan

    def apply(self, plan: Plan, context: ImportContext, *, valid_only: bool) -> None:
        operations = plan.operations
        try:
            _create_people(operations.get("create_columns", []), operations.get("create", []))
            _attach_people(operations.get("attach", []))
        except IntegrityError as exc:
            raise ValidationError(
                "校验之后，有人已经登记了文件中的部分人员。请重新上传文件校验后再导入。"
            ) from exc
        _update_members(operations.get("update", []))
        if plan.created + plan.updated >= ANALYZE_FROM:
            analyze(Person, Member, columns=PLANNED_COLUMNS)


class _RowChecker:
    """Turns one row's cells into clean values, or RowErrors naming each bad cell."""

    def __init__(self, table: Table, context: ImportContext) -> None:
        self.table = table
        self.context = context
        self.present = set(table.columns)
        self.clubs = club_lookup()
        self.clubs_by_pk = {club.pk: club for club in self.clubs.values()}
        self.clubs_written: dict[str, Club | None] = {}  # as each cell wrote it
        # Every club the file's rows name, bad rows included (None: an unknown name):
        # a run belongs to one club only when all its rows do.
        self.named_clubs: set[int | None] = set()
        # Whether Excel has visibly damaged an ID number in this file (see `suspect`).
        self.excel_damage = False
        # What `check` accepted of the current row with a warning.
        self.row_warnings: list[RowWarning] = []
        self.communities = _community_lookup(context)
        # A ledger names a few dozen communities thousands of times: each matched once.
        self.community_ids: dict[tuple[int, str], int | None] = {}
        codes = area_codes()
        self.club_area_codes = {
            club.pk: club_area_code(club, codes) for club in self.clubs_by_pk.values()
        }
        self.phone_keys = [key for key in (*PHONE_PAIR, "emergency_phone") if key in self.present]
        self.parsers: dict[str, Callable[[object], Any]] = {
            "gender": lambda value: identity.parse_gender(cells.text(value)),
            "birth_date": cells.date_value,
            "joined_party_on": cells.date_value,
            "category": cells.chooser(dict(Category.choices), CATEGORY_ALIASES),
            "education": cells.chooser(dict(Education.choices), EDUCATION_ALIASES),
            "relationship_held_at": cells.chooser(
                dict(RelationshipHeldAt.choices), RELATIONSHIP_ALIASES
            ),
            **{key: cells.text for key in (*PERSON_TEXT, *MEMBER_TEXT)},
            **{key: cells.flag for key in CARE_FLAGS},
        }
        # The columns of this file, each with its parser remembering what it has seen.
        self.cell_parsers = [
            (key, cells.memoized(parse))
            for key, parse in self.parsers.items()
            if key in self.present
        ]
        self.limits = list(MAX_LENGTHS.items())

    def label(self, key: str) -> str:
        return self.table.labels.get(key) or next(c.label for c in COLUMNS if c.key == key)

    def error(self, row: Row, key: str, code: str, message: str) -> RowError:
        return RowError(
            row=row.number,
            column=self.label(key),
            value=cells.text(row.values.get(key)),
            code=code,
            message=message,
        )

    def duplicate(self, row: Row, number: str, first: int) -> RowError:
        return self.error(
            row, "id_number", "duplicate_id", f"身份证号 {number} 与第 {first} 行重复。"
        )

    def warn(self, row: Row, key: str, code: str, message: str) -> None:
        """Note a cell accepted, but not exactly as written (see RowWarning)."""
        self.row_warnings.append(self.error(row, key, code, message))

    def check(self, row: Row) -> dict[str, Any]:
        errors: list[RowError] = []
        values: dict[str, Any] = {}
        self.row_warnings = []

        def attempt(key: str, parse: Callable[[object], Any], column: str = "") -> None:
            """Parse the cell of `column` (default: the key's own) into values[key]."""
            column = column or key
            try:
                values[key] = parse(row.values.get(column))
            except cells.CellError as exc:
                errors.append(self.error(row, column, exc.code, exc.message))
            except ValidationError as exc:
                errors.append(self.error(row, column, exc.code or "invalid", _message(exc)))

        attempt("club", self.club)
        attempt("name", self.name)
        attempt("id_number", self.id_number)
        self.phones(row, values, errors)
        if "community" in self.present:
            attempt("community_id", lambda _v: self.community(row, values.get("club")), "community")
        # The other columns: the bulk of the cells, parsed without a closure per cell.
        cell = row.values.get
        for key, parse in self.cell_parsers:
            try:
                values[key] = parse(cell(key))
            except cells.CellError as exc:
                errors.append(self.error(row, key, exc.code, exc.message))
        errors += self.too_long(row, values)
        if not errors:
            self.agree(row, values, errors)
        if errors:
            raise RowErrors(errors, values.get("id_number"))
        # Blank cells keep what is on record; False in a flag column is kept (it means "no").
        return {key: value for key, value in values.items() if value not in ("", None)}

    def too_long(self, row: Row, values: Mapping[str, Any]) -> list[RowError]:
        errors = []
        for key, limit in self.limits:
            value = values.get(key)
            if type(value) is str and len(value) > limit:
                message = f"内容过长：最多 {limit} 个字，这里有 {len(value)} 个。"
                errors.append(self.error(row, key, "too_long", message))
        return errors

    def phones(self, row: Row, values: dict[str, Any], errors: list[RowError]) -> None:
        """The phone columns. Phone and other phone hold two numbers between them, written
        in either cell; a local number takes the area code of the club's city."""
        if not self.phone_keys:
            return
        club: Club | None = values.get("club")
        area_code = self.club_area_codes.get(club.pk, "") if club else ""
        read: dict[str, list[identity.Phone]] = {}
        for key in self.phone_keys:
            try:
                read[key] = identity.read_phones(cells.phone_text(row.values.get(key)), area_code)
            except ValidationError as exc:
                errors.append(self.error(row, key, exc.code or "bad_phone", _message(exc)))
        for key, phones in read.items():
            for phone in phones:
                if phone.area_code_assumed:
                    city = club.city if club else ""
                    self.warn(
                        row,
                        key,
                        "area_code_assumed",
                        f"电话没有区号，已按服务社所在的{city}加上区号 {area_code}。",
                    )
        emergency = read.pop("emergency_phone", None)
        if emergency is not None:
            if len(emergency) > 1:
                errors.append(
                    self.error(
                        row,
                        "emergency_phone",
                        "bad_phone",
                        "这一格有多个电话号码，紧急联系人电话只能登记一个，请删去多余的。",
                    )
                )
            else:
                values["emergency_phone"] = emergency[0].number if emergency else ""
        if read:
            self.phone_pair(row, values, errors, read)

    def phone_pair(
        self,
        row: Row,
        values: dict[str, Any],
        errors: list[RowError],
        read: dict[str, list[identity.Phone]],
    ) -> None:
        if all(len(read.get(key, ())) <= 1 for key in PHONE_PAIR):
            # One number (or none) in each cell: each stays where it was written.
            for key, phones in read.items():
                values[key] = phones[0].number if phones else ""
            return
        # The same number written twice in a cell is one number.
        written = {
            key: list(dict.fromkeys(phone.number for phone in read.get(key, [])))
            for key in PHONE_PAIR
        }
        numbers = list(dict.fromkeys(written["phone"] + written["phone_alt"]))
        crowded = next((key for key in PHONE_PAIR if len(written[key]) > 1), None)
        if crowded is None:
            # One number (or none) in each cell: each stays where it was written.
            for key in read:
                values[key] = written[key][0] if written[key] else ""
            return
        if len(numbers) > len(PHONE_PAIR):
            errors.append(
                self.error(
                    row,
                    crowded,
                    "bad_phone",
                    f"{self.label('phone')}和{self.label('phone_alt')}共有 {len(numbers)} 个号码，"
                    "只能登记两个，请删去多余的。",
                )
            )
            return
        values["phone"], values["phone_alt"] = [*numbers, ""][:2]
        moved = "phone_alt" if crowded == "phone" else "phone"
        self.warn(
            row,
            crowded,
            "second_phone_moved",
            f"这一格有两个电话号码，另一个已登记为“{self.label(moved)}”。",
        )

    def club(self, value: object) -> Club:
        written = cells.text(value)
        if not written:
            if self.context.club is None:
                self.named_clubs.add(None)
                raise cells.CellError("missing_required", "请填写所属服务社。")
            self.named_clubs.add(self.context.club.pk)
            return self.context.club
        club = self.clubs_written.get(written)
        if club is None:
            club = self.clubs_written[written] = self.clubs.get(club_key(written))
        if club is None:
            self.named_clubs.add(None)
            raise cells.CellError("bad_choice", f"没有名为“{written}”的党员服务社。")
        self.named_clubs.add(club.pk)
        if not self.context.scope.covers_owner(club=club):
            raise cells.CellError(
                "out_of_scope", f"您无权向“{club.name}”导入数据，它不在您负责的范围内。"
            )
        return club

    def name(self, value: object) -> str:
        written = cells.text(value)
        if not written:
            raise cells.CellError("missing_required", "请填写姓名。")
        return identity.clean_name(written)

    def id_number(self, value: object) -> str:
        try:
            written = cells.id_text(value)
        except cells.CellError:
            self.excel_damage = True  # a number cell, or scientific notation
            raise
        if not written:
            raise cells.CellError("missing_required", "请填写身份证号。")
        try:
            return identity.validate_id_number(written)
        except ValidationError:
            if written.endswith(EXCEL_ZEROS):
                self.excel_damage = True  # a zeroed tail that fails the check character
            raise

    def suspect(self, number: int, id_number: str) -> RowError:
        """A number ending in 000 in a file whose ID column Excel has damaged elsewhere."""
        return RowError(
            row=number,
            column=self.label("id_number"),
            value=id_number,
            code="bad_id_format",
            message=(
                f"身份证号“{id_number}”末尾是 {EXCEL_ZEROS}；本文件其他行的身份证号已被 Excel "
                "截断，这一个也可能被截断（校验位恰好相符）。请核对原件后重新导入。"
            ),
        )

    def community(self, row: Row, club: Club | None) -> int | None:
        """The community the cell names; an unknown one is left empty, with a warning."""
        written = cells.text(row.values.get("community"))
        if not written or club is None:
            return None
        key = (club.pk, written)
        try:
            community_id = self.community_ids[key]
        except KeyError:
            community_id = self.community_ids[key] = self.communities.match(club.pk, written)
        if community_id is None:
            self.warn(
                row,
                "community",
                "community_unknown",
                f"小区“{written}”不在“{club.name}”的小区名单中，已按未填写处理；"
                "可在导入预览中指定它是哪个小区，或在小区资料里添加这个写法。",
            )
        return community_id

    def agree(self, row: Row, values: dict[str, Any], errors: list[RowError]) -> None:
        """Birth date and gender written beside the ID number must be the ones it encodes.

        A 出生年月 of year and month only is checked to the month; the day comes from
        the ID number.
        """
        number = values["id_number"]
        written = values.get("birth_date")
        if written is not None and cells.month_only(row.values.get("birth_date")):
            encoded = identity.id_birth_date(number)
            if (written.year, written.month) == (encoded.year, encoded.month):
                values["birth_date"] = encoded
        joined = values.get("joined_party_on")
        if joined is not None and not identity.plausible_party_date(joined, number):
            errors.append(self.error(row, "joined_party_on", "bad_date", identity.PARTY_DATE_RULE))
        try:
            identity.check_id_agrees(
                number, birth_date=values.get("birth_date"), gender=values.get("gender")
            )
        except ValidationError as exc:
            for key, problems in exc.error_dict.items():
                problem = problems[0]
                errors.append(self.error(row, key, problem.code or "", _message(problem)))


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _community_lookup(context: ImportContext) -> CommunityLookup:
    lookup = CommunityLookup.for_clubs()
    lookup.map_all(context.community_map)
    return lookup


class _Classifier:
    """Decides per valid row: create, attach (a known person joins), update or unchanged.

    Whether a row's number is on record is an answer like any other (members.lookups):
    logged, counted and, past the limit, withheld as a `lookup_limited` error.
    """

    def __init__(
        self, checker: _RowChecker, context: ImportContext, plan: Plan, answers: lookups.Lookups
    ) -> None:
        self.checker = checker
        self.context = context
        self.plan = plan
        self.answers = answers
        # A hidden field is not the importer's to change (a first note for a new member is
        # kept: it erases nothing).
        self.hides_health = context.actor is not None and not may_view_sensitive(context.actor)
        # New people are the bulk of a first import: kept as lists in CREATE_COLUMNS order
        # (None: not given), not as a dict each.
        self.operations: dict[str, list[Any]] = {"create": [], "attach": [], "update": []}

    def classify(self, parsed: list[tuple[int, dict[str, Any]]]) -> None:
        numbers = [values["id_number"] for _number, values in parsed]
        known = _known_people(numbers)
        near = self.answers.near_misses([n for n in numbers if n not in known])
        for number, values in parsed:
            id_number = values["id_number"]
            if self.answered(id_number, known.get(id_number), near.get(id_number, [])):
                self.one(number, values, known.get(id_number))
            else:
                self.withhold(number, id_number)

    def answered(self, number: str, known: dict[str, Any] | None, near: list[int]) -> bool:
        if known is None:
            return self.answers.answer(
                number, lookups.Kind.NEAR_MISS if near else lookups.Kind.NEW, near
            )
        holder_id = known["member_club_id"] or known["applicant_club_id"]
        holders = [self.checker.clubs_by_pk[holder_id]] if holder_id else []
        outside = [club for club in holders if not self.context.scope.covers_owner(club=club)]
        kind = lookups.kind_of(holders, outside)
        return self.answers.answer(number, kind, [known["person"]["id"]])

    def withhold(self, number: int, id_number: str) -> None:
        self.plan.errors.append(
            RowError(
                row=number,
                column=self.checker.label("id_number"),
                value=id_number,
                code="lookup_limited",
                message=lookups.LIMITED,
            )
        )
        self.plan.error_rows += 1

    def finish(self) -> None:
        self.plan.operations = {"create_columns": list(CREATE_COLUMNS), **self.operations}
        named = self.checker.named_clubs
        self.plan.club_id = next(iter(named)) if len(named) == 1 else None

    def one(self, number: int, values: dict[str, Any], known: dict[str, Any] | None) -> None:
        club: Club = values.pop("club")
        values["club_id"] = club.pk
        if known is None:
            new: list[Any] = list(map(values.get, CREATE_COLUMNS))
            for index in CREATE_DATES:
                if new[index] is not None:
                    new[index] = new[index].isoformat()
            self.operations["create"].append(new)
            self.plan.created += 1
            return
        holder = known["member_club_id"] or known["applicant_club_id"]
        if holder and (holder != club.pk or not self.context.scope.covers_owner(club=club)):
            self.refuse(number, values, holder)
            return
        person_changes = _changes(values, known["person"], PERSON_KEYS)
        if known["member_id"] is None:
            attach = {"person_id": known["person"]["id"], "person_changes": person_changes}
            self.operations["attach"].append(_jsonable(attach | values))
            self.plan.created += 1
        else:
            if self.hides_health:
                values.pop("health_note", None)
            member_changes = _changes(values, known["member"], MEMBER_KEYS)
            if not person_changes and not member_changes:
                self.plan.unchanged += 1
            else:
                self.operations["update"].append(
                    _jsonable(
                        {
                            "person_id": known["person"]["id"],
                            "member_id": known["member_id"],
                            "club_id": club.pk,
                            "person_changes": person_changes,
                            "member_changes": member_changes,
                        }
                    )
                )
                self.plan.updated += 1

    def refuse(self, number: int, values: dict[str, Any], holder_id: int) -> None:
        holder = self.checker.clubs_by_pk[holder_id]
        self.plan.errors.append(
            RowError(
                row=number,
                column=self.checker.label("id_number"),
                value=values["id_number"],
                code="registered_elsewhere",
                message=(
                    f"该身份证号的人员已在“{holder.name}”登记，不能重复登记。"
                    "如需转入，请由该服务社发起党员转接。"
                ),
            )
        )
        self.plan.error_rows += 1


def _known_people(numbers: Sequence[str]) -> dict[str, dict[str, Any]]:
    """People already registered, by ID number, with their member record and holding club."""
    found = select_by_keys(Person, "id_number", PERSON_KEYS, list(numbers))
    people: dict[str, dict[str, Any]] = {
        row[1]: {
            "person": dict(zip(("id", "id_number", *PERSON_KEYS), row, strict=True)),
            "member_id": None,
            "member_club_id": None,
        }
        for row in found
    }
    if not people:
        return {}
    ids = [known["person"]["id"] for known in people.values()]
    by_id = {known["person"]["id"]: known for known in people.values()}
    for member in Member.objects.filter(person_id__in=ids).values(
        "id", "person_id", "club_id", *MEMBER_KEYS
    ):
        known = by_id[member["person_id"]]
        known.update(member_id=member["id"], member_club_id=member["club_id"], member=member)
    applicants = PartyApplicant.objects.open().filter(person_id__in=ids)
    for person_id, club_id in applicants.values_list("person_id", "club_id"):
        by_id[person_id]["applicant_club_id"] = club_id
    for known in people.values():
        known.setdefault("applicant_club_id", None)
    return people


def _changes(values: Mapping[str, Any], current: Mapping[str, Any], keys: Iterable[str]) -> dict:
    return {key: values[key] for key in keys if key in values and values[key] != current.get(key)}


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    return value


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _json_value(value) for key, value in values.items()}


def _dates(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: date.fromisoformat(value) if key in DATE_KEYS and isinstance(value, str) else value
        for key, value in values.items()
    }


# What the plan keeps of a new person's row, in this order.
CREATE_COLUMNS = ("id_number", "club_id", *PERSON_KEYS, *MEMBER_KEYS)
CREATE_DATES = [CREATE_COLUMNS.index(key) for key in DATE_KEYS]
# Columns written for a new person and a new member, the unique key first.
PERSON_COLUMNS = ("id_number", "name_pinyin", "name_initials", *PERSON_KEYS)
MEMBER_COLUMNS = ("person_id", "club_id", *MEMBER_KEYS)


def _defaults(model: type[Any], keys: Iterable[str]) -> dict[str, Any]:
    return {key: model._meta.get_field(key.removesuffix("_id")).get_default() for key in keys}


def _person_row(values: Mapping[str, Any], defaults: Mapping[str, Any]) -> tuple[Any, ...]:
    number = values["id_number"]
    derived = {"birth_date": identity.id_birth_date(number), "gender": identity.id_gender(number)}
    row = {**defaults, **derived, **values}
    return (number, *identity.pinyin_columns(row["name"]), *(row[key] for key in PERSON_KEYS))


def _member_row(
    person_id: int, values: Mapping[str, Any], defaults: Mapping[str, Any]
) -> tuple[Any, ...]:
    row = {**defaults, **values}
    return (person_id, row["club_id"], *(row[key] for key in MEMBER_KEYS))


def _create_people(columns: Sequence[str], lists: list[list[Any]]) -> None:
    """New people and their memberships, a batch per statement (dates stay ISO strings:
    PostgreSQL casts them)."""
    person_defaults = _defaults(Person, PERSON_KEYS)
    member_defaults = _defaults(Member, MEMBER_KEYS)
    for start in range(0, len(lists), BATCH):
        batch = [
            {key: value for key, value in zip(columns, values, strict=True) if value is not None}
            for values in lists[start : start + BATCH]
        ]
        people = [_person_row(values, person_defaults) for values in batch]
        ids = dict(insert_rows(Person, PERSON_COLUMNS, people))
        members = [_member_row(ids[v["id_number"]], v, member_defaults) for v in batch]
        insert_rows(Member, MEMBER_COLUMNS, members)


def _attach_people(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    _update_people({row["person_id"]: _dates(row["person_changes"]) for row in rows})
    defaults = _defaults(Member, MEMBER_KEYS)
    insert_rows(Member, MEMBER_COLUMNS, [_member_row(r["person_id"], r, defaults) for r in rows])


def _update_members(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    changed = {row["person_id"]: _dates(row["person_changes"]) for row in rows}
    _update_people({pk: fields for pk, fields in changed.items() if fields})
    member_changes = {row["member_id"]: _dates(row["member_changes"]) for row in rows}
    expected = {row["member_id"]: row["club_id"] for row in rows}
    current = Member.objects.filter(pk__in=list(expected)).values_list("pk", "club_id")
    if any(expected[pk] != club_id for pk, club_id in current):
        raise ValidationError("校验之后，部分党员已转到其他服务社。请重新上传文件校验后再导入。")
    _bulk_update(Member, {pk: f for pk, f in member_changes.items() if f})


def _update_people(changes: dict[int, dict[str, Any]]) -> None:
    changes = {pk: fields for pk, fields in changes.items() if fields}
    if not changes:
        return
    now = timezone.now()  # bulk_update leaves auto_now alone
    for fields in changes.values():
        fields["updated_at"] = now
        if "name" in fields:
            fields["name_pinyin"], fields["name_initials"] = identity.pinyin_columns(fields["name"])
    _bulk_update(Person, changes)


def _bulk_update(model: Any, changes: dict[int, dict[str, Any]]) -> None:
    if not changes:
        return
    objects = model.objects.in_bulk(list(changes))
    fields: set[str] = set()
    for pk, values in changes.items():
        for key, value in values.items():
            setattr(objects[pk], key, value)
            fields.add(key)
    model.objects.bulk_update(list(objects.values()), sorted(fields), batch_size=1000)
