"""Walk every admin and API URL as every named person and report what leaks.

The cases are generated from an admin site's registry and the API router, not listed
by hand, so a newly registered admin or viewset is walked without anyone remembering
to add it; `uncovered_urls` fails the suite for any URL pattern the walk cannot reach.
"""

import json
from collections.abc import Iterable
from typing import Any

from django.contrib.admin import AdminSite, ModelAdmin
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from fuwushe.org.scoping import is_scoped_model
from members.privacy import VIEW_SENSITIVE
from tests.scoping.world import PASSWORD, Record, World

DENIED = {302, 403, 404}


class Walker:
    def __init__(self, world: World, site: AdminSite) -> None:
        self.world = world
        self.site = site
        self.violations: list[str] = []
        self.clients: dict[str, Client] = {}
        for name, user in world.people.items():
            client = Client()
            if user is not None:
                assert client.login(username=user.username, password=PASSWORD)
            self.clients[name] = client

    # --- helpers -----------------------------------------------------------------
    def get(self, person: str, url: str) -> tuple[int, str]:
        response = self.clients[person].get(url)
        streamed = getattr(response, "streaming_content", None)
        body = b"".join(streamed) if response.streaming else response.content
        return response.status_code, body.decode(errors="replace")

    def leaks(self, person: str, url: str, body: str) -> None:
        """Report any marker of a record the person may not see found in a body, and any
        full ID number or phone shown where it must be masked."""
        for record in self.world.records:
            for secret in record.secrets:
                if secret in body and not self.may_see_in_full(person, url):
                    self.violations.append(f"{person} GET {url}: shows “{secret}” unmasked")
            if self.world.sees(person, record.owner):
                continue
            for marker in record.markers:
                if marker and marker in body:
                    self.violations.append(
                        f"{person} GET {url}: shows “{marker}” of {record.obj!r}"
                    )

    def may_see_in_full(self, person: str, url: str) -> bool:
        """Only a reveal page, or the API to holders of the permission, shows them."""
        user = self.world.people[person]
        may = user is not None and user.has_perm(VIEW_SENSITIVE)
        return may and (url.startswith("/api/") or url.rstrip("/").endswith("/reveal"))

    def records_of(self, model: type[models.Model]) -> list[Record]:
        return self.world.of(model)

    def name(self, model: type[models.Model], view: str) -> str:
        return self.url_name(self.site, model, view)

    @staticmethod
    def url_name(site: AdminSite, model: type[models.Model], view: str) -> str:
        if view == "password_change":
            return f"{site.name}:auth_user_password_change"
        return f"{site.name}:{model._meta.app_label}_{model._meta.model_name}_{view}"

    # --- admin ---------------------------------------------------------------------
    def walk_admin(self) -> None:
        for model, model_admin in self.site._registry.items():
            if is_scoped_model(model):
                self.walk_scoped_admin(model, model_admin)
            else:
                self.walk_unscoped_admin(model)
        self.walk_autocomplete()
        self.walk_search()
        self.walk_imports()

    def walk_imports(self) -> None:
        """Admin imports: the upload page shows nobody else's records (its club choices
        are scoped), and confirming another scope's import run is refused."""
        from fuwushe.imports.admin_views import PipelineImportMixin
        from fuwushe.imports.models import ImportRun

        for model, model_admin in self.site._registry.items():
            if not isinstance(model_admin, PipelineImportMixin):
                continue
            upload = reverse(self.name(model, "import"))
            confirm = reverse(self.name(model, "process_import"))
            for person in self.world.people:
                status, body = self.get(person, upload)
                self.leaks(person, upload, body)
                if person == "anonymous" and status != 302:
                    self.violations.append(f"anonymous GET {upload}: {status}")
                for record in self.records_of(ImportRun):
                    if person != "anonymous" and self.world.sees(person, record.owner):
                        continue  # an insider's POST would act on the run
                    response = self.clients[person].post(confirm, {"run": record.obj.pk})
                    if response.status_code not in DENIED:
                        self.violations.append(
                            f"{person} POST {confirm}: {response.status_code} for {record.obj!r}"
                        )

    def walk_search(self) -> None:
        """The theme's site-wide search goes through each admin's queryset."""
        url = reverse(f"{self.site.name}:search")
        markers = {m for r in self.world.records for m in r.markers if m}
        for person in self.world.people:
            for marker in sorted(markers):
                query = f"{url}?s={marker}&extended=1"
                self.leaks(person, query, self.get(person, query)[1])

    def walk_scoped_admin(self, model: type[models.Model], model_admin: ModelAdmin) -> None:
        records = self.records_of(model)
        if not records:
            self.violations.append(f"{model.__name__}: the world has no records to walk")
        changelist = reverse(self.name(model, "changelist"))
        for person in self.world.people:
            status, body = self.get(person, changelist)
            if person == "anonymous":
                if status != 302:
                    self.violations.append(
                        f"anonymous GET {changelist}: {status}, not a login redirect"
                    )
                continue
            self.leaks(person, changelist, body)
            for record in records:
                change = reverse(self.name(model, "change"), args=[record.obj.pk])
                listed = f'href="{change}' in body
                if listed and not self.world.sees(person, record.owner):
                    self.violations.append(f"{person} GET {changelist}: lists {record.obj!r}")
            user = self.world.people[person]
            may_view = user is not None and user.has_perm(
                f"{model._meta.app_label}.view_{model._meta.model_name}"
            )
            add_url = reverse(self.name(model, "add"))
            self.leaks(person, add_url, self.get(person, add_url)[1])
            for record in records:
                for view in self.object_views(model):
                    url = reverse(self.name(model, view), args=[record.obj.pk])
                    status, body = self.get(person, url)
                    self.leaks(person, url, body)
                    if not self.world.sees(person, record.owner):
                        # Django answers an object outside the queryset with 404, or with
                        # a redirect to the index and a message naming only the id.
                        if status not in DENIED:
                            self.violations.append(
                                f"{person} GET {url}: {status} for {record.obj!r}"
                            )
                    elif may_view and view in ("change", "history") and status != 200:
                        self.violations.append(f"{person} GET {url}: {status}, but may see it")

    @staticmethod
    def object_views(model: type[models.Model]) -> list[str]:
        views = ["change", "history", "delete"]
        if model._meta.label == "org.User":
            views.append("password_change")  # UserAdmin names it auth_user_password_change
        if model._meta.label == "members.Member":
            views.append("reveal")  # GET confirms; only a POST shows the full values
        return views

    def walk_unscoped_admin(self, model: type[models.Model]) -> None:
        """Models without a club (groups, settings, vocabularies, area codes) are for the
        center alone: their lists, add pages and, for a row, its change, history and
        delete pages are refused to everyone else."""
        urls = [reverse(self.name(model, view)) for view in ("changelist", "add")]
        row = model._default_manager.order_by("pk").first()
        if row is not None:
            views = ("change", "history", "delete")
            urls += [reverse(self.name(model, view), args=[row.pk]) for view in views]
        for url in urls:
            for person in ("alice", "bob", "charlie", "dora"):
                status, _ = self.get(person, url)
                if status not in (403, 404):
                    self.violations.append(f"{person} GET {url}: {status} on an unscoped admin")

    def walk_autocomplete(self) -> None:
        url = reverse(f"{self.site.name}:autocomplete")
        for model, model_admin in self.site._registry.items():
            for field_name in getattr(model_admin, "autocomplete_fields", ()):
                field = model._meta.get_field(field_name)
                target = field.related_model
                assert isinstance(target, type)
                for person in self.world.people:
                    if person == "anonymous":
                        continue
                    query = (
                        f"{url}?term=&app_label={model._meta.app_label}"
                        f"&model_name={model._meta.model_name}&field_name={field_name}"
                    )
                    status, body = self.get(person, query)
                    self.leaks(person, query, body)
                    if status != 200:
                        continue
                    shown = {str(item["id"]) for item in json.loads(body)["results"]}
                    for record in self.records_of(target):
                        if str(record.obj.pk) in shown and not self.world.sees(
                            person, record.owner
                        ):
                            self.violations.append(f"{person} GET {query}: offers {record.obj!r}")

    # --- API -------------------------------------------------------------------------
    def walk_api(self) -> None:
        from fuwushe.api import router

        for _prefix, viewset, basename in router.registry:
            model = viewset.queryset.model  # type: ignore[attr-defined]
            records = self.records_of(model)
            list_url = reverse(f"api:{basename}-list")
            for person in self.world.people:
                status, body = self.get(person, list_url + "?page_size=1000")
                if person == "anonymous":
                    if status not in (401, 403):
                        self.violations.append(f"anonymous GET {list_url}: {status}")
                    continue
                self.leaks(person, list_url, body)
                shown = {str(row["id"]) for row in json.loads(body).get("results", [])}
                for record in records:
                    if str(record.obj.pk) in shown and not self.world.sees(person, record.owner):
                        self.violations.append(f"{person} GET {list_url}: lists {record.obj!r}")
                    detail = reverse(f"api:{basename}-detail", args=[record.obj.pk])
                    status, body = self.get(person, detail)
                    self.leaks(person, detail, body)
                    if not self.world.sees(person, record.owner) and status != 404:
                        self.violations.append(f"{person} GET {detail}: {status}")

    def walk_api_actions(self) -> None:
        """POST to every detail action as each person who may not see the record."""
        from fuwushe.api import router

        for _prefix, viewset, basename in router.registry:
            model = viewset.queryset.model  # type: ignore[attr-defined]
            extras: list[Any] = viewset.get_extra_actions()
            for extra in extras:
                if not extra.detail:
                    continue
                for record in self.records_of(model):
                    url = reverse(f"api:{basename}-{extra.url_name}", args=[record.obj.pk])
                    for person in self.world.people:
                        if person != "anonymous" and self.world.sees(person, record.owner):
                            continue  # an insider's POST would change the record mid-walk
                        response = self.clients[person].post(
                            url, {}, content_type="application/json"
                        )
                        self.leaks(person, url, response.content.decode(errors="replace"))
                        if response.status_code not in (401, 403, 404):
                            self.violations.append(f"{person} POST {url}: {response.status_code}")

    # --- other scoped views ----------------------------------------------------------
    def walk_object_urls(self, urls: Iterable[tuple[str, Record]]) -> None:
        for url, record in urls:
            for person in self.world.people:
                status, body = self.get(person, url)
                self.leaks(person, url, body)
                allowed = person != "anonymous" and self.world.sees(person, record.owner)
                if not allowed and status not in DENIED:
                    self.violations.append(f"{person} GET {url}: {status} for {record.obj!r}")


def all_url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    """Every named URL pattern of the project, as "namespace:name"."""
    resolver = resolver or get_resolver()
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace or ""
            inner = f"{prefix}{namespace}:" if namespace else prefix
            names |= all_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern):
            names.add(
                f"{prefix}{pattern.name}"
                if pattern.name
                else f"{prefix}<unnamed {pattern.pattern}>"
            )
    return names


def admin_url_names(site: AdminSite) -> set[str]:
    """The admin URL names the walk visits for each registered model."""
    from fuwushe.imports.admin_views import PipelineImportMixin

    names = {f"{site.name}:autocomplete", f"{site.name}:search"}
    for model, model_admin in site._registry.items():
        views = ["changelist", "add", *Walker.object_views(model)]
        if isinstance(model_admin, PipelineImportMixin):
            views += ["import", "process_import"]
        names |= {Walker.url_name(site, model, view) for view in views}
    return names


def describe(obj: Any) -> str:
    return f"{type(obj).__name__}({obj.pk})"
