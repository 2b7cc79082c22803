"""The scoping proof: every admin and API URL, walked as every named person."""

from typing import Any

import pytest
from django.contrib import admin
from django.urls import reverse

from fuwushe.api import router
from fuwushe.files.models import PrivateFile
from tests.scoping import leaky_urls
from tests.scoping.walk import Walker, admin_url_names, all_url_names
from tests.scoping.world import Record, World

pytestmark = pytest.mark.django_db

# URLs that show no club's records: sign-in, the index pages, the API's entry points.
PUBLIC = {
    "home",
    "healthz",
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "admin:jsi18n",
    "admin:app_list",
    "admin:view_on_site",
    "api:root",
    "api:me",
    "api:token",
    "api:schema",
    "api:docs",
    "api:redoc",
}


def api_url_names() -> set[str]:
    names: set[str] = set()
    for _, viewset, basename in router.registry:
        extras: list[Any] = viewset.get_extra_actions()
        names |= {f"api:{basename}-{extra.url_name}" for extra in extras}
        names |= {f"api:{basename}-list", f"api:{basename}-detail"}
    return names


def object_urls(world: World) -> list[tuple[str, Record]]:
    """Scoped views outside the admin and the API, one URL per record."""
    return [(reverse("files:download", args=[r.obj.pk]), r) for r in world.of(PrivateFile)]


def test_every_url_is_walked_or_shows_no_records():
    walked = admin_url_names(admin.site) | api_url_names() | set(OBJECT_URL_NAMES)
    uncovered = {
        name for name in all_url_names() - walked - PUBLIC if not name.startswith("admin:<unnamed")
    }

    assert uncovered == set(), "add these URLs to the scoping walk"


def test_nobody_sees_or_reaches_records_outside_their_scope(world: World):
    walker = Walker(world, admin.site)

    walker.walk_admin()
    walker.walk_api()
    walker.walk_api_actions()
    walker.walk_object_urls(object_urls(world))

    assert walker.violations == []


@pytest.mark.urls("tests.scoping.leaky_urls")
def test_the_walk_catches_an_admin_registered_without_scoping(world: World):
    walker = Walker(world, leaky_urls.site)

    walker.walk_admin()

    leaked = [v for v in walker.violations if "Community" in v]
    assert leaked, walker.violations
    assert not [v for v in walker.violations if "Department" in v]


OBJECT_URL_NAMES = ["files:download"]
