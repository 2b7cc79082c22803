from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "党员名册"

    def ready(self) -> None:
        from fuwushe.org.roles import Role, extend_role
        from fuwushe.org.selectors import register_headcount
        from members.models import members_headcount

        register_headcount(members_headcount)
        everyday = [
            f"members.{action}_{model}"
            for model in ("person", "member", "memberrole", "membertransfer", "partyapplicant")
            for action in ("view", "add", "change")
        ] + ["members.view_talenttag"]
        extend_role(Role.DEPARTMENT_ADMIN, [p for p in everyday if ".view_" in p])
        # Directors check ID numbers against papers; other staff work with masked ones.
        extend_role(Role.DIRECTOR, [*everyday, "members.view_sensitive_person"])
        extend_role(Role.DEPUTY, [*everyday, "members.view_sensitive_person"])
        extend_role(Role.FULL_TIME, everyday)
        extend_role(Role.PART_TIME, everyday)
