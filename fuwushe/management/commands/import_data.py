"""`manage.py import_data KIND FILE`: the import pipeline from the command line."""

import getpass
import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fuwushe.imports.models import ImportRun
from fuwushe.imports.pipeline import import_apply, import_validate
from fuwushe.imports.reading import max_import_bytes
from fuwushe.imports.registry import KINDS, Plan, UnknownKind
from fuwushe.org.communities import CommunityLookup
from fuwushe.org.models import Club, Community, User
from fuwushe.org.selectors import club_key, club_lookup

APPLIED_OR_CLEAN, ROW_ERRORS, REJECTED = 0, 1, 2


class Command(BaseCommand):
    help = "导入台账文件（XLSX、XLS 或 CSV）：先校验全部数据，再整体导入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"导入类型：{'、'.join(KINDS)}")
        parser.add_argument("file", type=Path, help="要导入的文件")
        parser.add_argument("--club", help="服务社名称或编号（文件没有“所属服务社”列时必填）")
        parser.add_argument("--user", help="以哪个用户的身份和权限导入（默认：管理中心）")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument(
            "--valid-only", action="store_true", help="有错误时仍导入无误的行（默认全部不导入）"
        )
        parser.add_argument("--json", action="store_true", help="以一行 JSON 输出结果")
        parser.add_argument(
            "--map-community",
            action="append",
            default=[],
            metavar="写法=小区名",
            help="把台账中小区的某种写法当作本服务社的某个小区（本次导入有效，可重复）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            with path.open("rb") as file:
                # One byte past the limit is enough for the reader to refuse it as too large.
                data = file.read(max_import_bytes() + 1)
        except OSError as exc:
            raise CommandError(f"无法读取文件“{path}”：{exc.strerror}") from exc
        actor = _user(options["user"])
        club = _club(options["club"])
        try:
            community_map = _community_map(options["map_community"], club)
        except ValueError as exc:
            self._finish(options, path, "unknown_community", str(exc))
            return
        try:
            run, plan = import_validate(
                kind=options["kind"],
                data=data,
                file_name=path.name,
                actor=actor,
                club=club,
                operator="" if actor else getpass.getuser(),
                keep_plan=False,
                community_map=community_map,
            )
            if plan is not None and not options["dry_run"]:
                run = import_apply(
                    run=run, actor=actor, plan=plan, valid_only=options["valid_only"]
                )
        except UnknownKind as exc:
            self._finish(options, path, "unavailable", exc.message)
            return
        except (PermissionDenied, ValidationError) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self._finish(options, path, "refused", message)
            return
        self._report(options, path, run, plan)

    def _report(
        self, options: dict[str, Any], path: Path, run: ImportRun, plan: Plan | None
    ) -> None:
        result = {
            "file": str(path),
            "kind": options["kind"],
            "rows": run.rows,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "errors": [e.as_dict() for e in plan.errors] if plan else [],
            "warnings": [w.as_dict() for w in plan.warnings] if plan else [],
            "rejected": (
                {"code": run.rejected_code, "message": run.message}
                if run.status == ImportRun.Status.REJECTED
                else None
            ),
            "applied": run.status == ImportRun.Status.APPLIED,
            "import_id": run.pk,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self._describe(run, result)
        if run.status == ImportRun.Status.REJECTED:
            raise SystemExit(REJECTED)
        if result["errors"]:
            raise SystemExit(ROW_ERRORS)

    def _describe(self, run: ImportRun, result: dict[str, Any]) -> None:
        if run.status == ImportRun.Status.REJECTED:
            self.stderr.write(f"文件被拒绝：{run.message}")
            return
        self.stdout.write(
            f"共 {run.rows} 行：新增 {run.created}，更新 {run.updated}，"
            f"无变化 {run.unchanged}，有错误 {run.error_rows} 行"
            + (f"，提醒 {run.warning_count} 条。" if run.warning_count else "。")
        )
        for error in result["errors"]:
            self.stdout.write(_cell_line(error))
        for warning in result["warnings"]:
            self.stdout.write(f"提醒：{_cell_line(warning)}")
        if run.status == ImportRun.Status.APPLIED:
            self.stdout.write(self.style.SUCCESS(f"已导入。{run.message}"))
        elif run.status == ImportRun.Status.FAILED:
            self.stdout.write(self.style.ERROR(run.message))
        else:
            self.stdout.write("只做了校验（--dry-run），没有写入任何数据。")

    def _finish(self, options: dict[str, Any], path: Path, code: str, message: str) -> None:
        """End without a run's figures: the kind is not available, or the import was refused."""
        if options["json"]:
            result = {
                "file": str(path),
                "kind": options["kind"],
                "rows": 0,
                "created": 0,
                "updated": 0,
                "unchanged": 0,
                "errors": [],
                "warnings": [],
                "rejected": {"code": code, "message": message},
            }
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stderr.write(message)
        raise SystemExit(REJECTED)


def _cell_line(item: dict[str, Any]) -> str:
    return f"第 {item['row']} 行“{item['column']}”列（{item['value']}）：{item['message']}"


def _user(username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"没有名为“{username}”的在用账号。")
    return user


def _club(name_or_code: str | None) -> Club | None:
    if not name_or_code:
        return None
    club = club_lookup().get(club_key(name_or_code))
    if club is None:
        raise CommandError(f"没有名称或编号为“{name_or_code}”的党员服务社。")
    return club


def _community_map(pairs: list[str], club: Club | None) -> dict[str, Community]:
    """`写法=小区名` pairs as written name → one community (of --club when given)."""
    communities = Community.objects.all() if club is None else Community.objects.filter(club=club)
    listed = {community.pk: community for community in communities}
    lookup = CommunityLookup(listed.values())
    club_ids = {community.club_id for community in listed.values()}
    where = f"“{club.name}”" if club else "任何服务社"
    mapping = {}
    for pair in pairs:
        written, _sep, target = (part.strip() for part in pair.partition("="))
        if not written or not target:
            raise ValueError(f"--map-community“{pair}”的格式不对，应写成“写法=小区名”。")
        found = {lookup.match(club_id, target) for club_id in club_ids} - {None}
        if len(found) != 1:
            raise ValueError(
                f"--map-community：{where}没有名为“{target}”的小区（或有不止一个），"
                "请核对小区名称。"
            )
        mapping[written] = listed[found.pop()]  # type: ignore[index]
    return mapping
