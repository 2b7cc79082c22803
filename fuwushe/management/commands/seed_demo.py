import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fuwushe.audit.tracking import acting_as
from fuwushe.seeding import SCALES, SeedContext, registered_seeders


class Command(BaseCommand):
    help = "生成演示数据：只补上缺少的记录，已有的记录不改动（可重复运行，同一随机种子结果相同）。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="small",
            help="small：小规模演示；full：全网真实规模；stress：十倍压力规模。",
        )
        parser.add_argument("--seed", type=int, default=2007, help="随机种子（默认 2007）。")
        parser.add_argument(
            "--org-only",
            action="store_true",
            help="只生成组织架构（服务部、76 个服务社、小区）和演示账号。",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="在生产模式下仍然生成（会创建已知密码的演示账号，慎用）。",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError("生产模式下不生成演示数据：演示账号的密码是公开的。")
        context = SeedContext(scale=SCALES[options["scale"]], seed=options["seed"])
        seeders = registered_seeders(organisation_only=options["org_only"])
        self.stdout.write(f"生成演示数据：{context.scale.label}，随机种子 {context.seed}")
        started = time.monotonic()
        with transaction.atomic(), acting_as(None, source="seed_demo"):
            for item in seeders:
                step_started = time.monotonic()
                summary = item.run(context)
                elapsed = time.monotonic() - step_started
                self.stdout.write(f"  {item.name}: {summary}（{elapsed:.1f} 秒）")
        self.stdout.write(f"完成，用时 {time.monotonic() - started:.1f} 秒。")
        self.stdout.write("演示账号：")
        for credential in context.credentials:
            self.stdout.write(
                f"  {credential.role}  用户名 {credential.username}  密码 {credential.password}"
            )
