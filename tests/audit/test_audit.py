"""Every write leaves history, bulk paths included; sensitive reads leave a log entry."""

import pytest
from django.test import Client, RequestFactory

from fuwushe.audit.access import record_sensitive_access
from fuwushe.audit.models import SensitiveAccess
from fuwushe.audit.tracking import acting_as
from fuwushe.org.models import Club, Community, User
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

ClubEvent = Club.pgh_event_model  # type: ignore[attr-defined]
CommunityEvent = Community.pgh_event_model  # type: ignore[attr-defined]


def test_bulk_create_and_queryset_update_are_in_the_history(world: World):
    with acting_as(world.people["carol"], source="批量测试"):
        Community.objects.bulk_create(
            [Community(name=f"批量小区{i}", club=world.club_a) for i in range(3)]
        )
        Community.objects.filter(name__startswith="批量小区").update(households=120)
        Community.objects.filter(name="批量小区0").delete()

    events = CommunityEvent.objects.filter(name__startswith="批量小区")
    assert events.filter(pgh_label="insert").count() == 3
    assert events.filter(pgh_label="update", households=120).count() == 3
    assert events.filter(pgh_label="delete").count() == 1
    context = events.first().pgh_context.metadata
    assert context == {"user": world.people["carol"].pk, "source": "批量测试"}


def test_an_update_that_changes_nothing_leaves_no_history(world: World):
    before = ClubEvent.objects.count()

    Club.objects.filter(pk=world.club_a.pk).update(name=world.club_a.name)

    assert ClubEvent.objects.count() == before


def test_a_password_change_is_not_copied_into_the_history(world: World):
    user = User.objects.get(username="alice")
    user.set_password("another-secret-1")
    user.save()

    assert "password" not in {f.name for f in User.pgh_event_model._meta.fields}  # type: ignore[attr-defined]


def test_an_admin_write_records_who_made_it_and_shows_in_the_history_page(
    world: World, client: Client
):
    client.force_login(world.people["dora"])
    club = world.club_a
    response = client.post(
        f"/admin/org/club/{club.pk}/change/",
        {"name": club.name, "address": "东营区济南路 1 号", "city": "东营市", "county": "东营区",
         "founded_on": "", "elderly_station": "", "notes": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]

    event = ClubEvent.objects.filter(pgh_obj=club, pgh_label="update").get()
    assert event.pgh_context.metadata["user"] == world.people["dora"].pk
    page = client.get(f"/admin/org/club/{club.pk}/history/").content.decode()
    assert "东营区济南路 1 号" in page
    assert "窦拉芳" in page


def test_a_sensitive_access_is_logged_with_who_whose_and_where(world: World):
    request = RequestFactory().get("/admin/members/member/1/?reveal=1", REMOTE_ADDR="10.0.0.8")

    access = record_sensitive_access(
        user=world.people["alice"],
        action="reveal",
        subjects=[world.people["bob"]],
        fields=["id_number"],
        club_id=world.club_a.pk,
        request=request,
    )

    assert access is not None
    stored = SensitiveAccess.objects.get(pk=access.pk)
    assert stored.subject_type == "org.user"
    assert stored.subject_ids == [world.people["bob"].pk]
    assert stored.path == "/admin/members/member/1/?reveal=1"
    assert stored.ip_address == "10.0.0.8"


def test_nothing_is_logged_when_nothing_was_seen(world: World):
    assert (
        record_sensitive_access(
            user=world.people["alice"], action="export", subjects=[], fields=["phone"]
        )
        is None
    )


def test_the_access_log_is_read_only_in_the_admin(world: World, client: Client):
    client.force_login(world.people["carol"])
    access = SensitiveAccess.objects.first()
    assert access is not None

    assert client.get("/admin/audit/sensitiveaccess/").status_code == 200
    assert client.get("/admin/audit/sensitiveaccess/add/").status_code == 403
    assert client.post(f"/admin/audit/sensitiveaccess/{access.pk}/delete/").status_code == 403
