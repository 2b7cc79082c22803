from fuwushe.org.models import User
from fuwushe.seeding import Credential, SeedContext, seeder

# Shown by `bin/run`; only ever created outside production (seed_demo refuses there).
DEMO_PASSWORD = "fuwushe-demo-2026"  # noqa: S105 - public by design, never in production


@seeder("demo_users", order=10, organisation=True)
def seed_demo_users(context: SeedContext) -> str:
    user, created = User.objects.get_or_create(
        username="center_admin",
        defaults={"first_name": "中心管理员", "is_staff": True, "is_superuser": True},
    )
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    context.credentials.append(Credential("管理中心管理员", user.username, DEMO_PASSWORD))
    return f"演示账号 1 个（{'新建' if created else '已存在'}）"
