"""Importing a roster in the browser: django-import-export's admin import on our pipeline."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from fuwushe.audit.models import SensitiveAccess
from fuwushe.imports.models import ImportRun
from members.models import Member
from tests.imports import files
from tests.members.ids import id_number
from tests.scoping.world import PASSWORD, World

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/members/member/import/"
CONFIRM = "/admin/members/member/process_import/"
HEADER = ["姓名", "身份证号", "联系电话"]


def signed_in(world: World, name: str) -> Client:
    client = Client()
    assert client.login(username=world.people[name].username, password=PASSWORD)
    return client


def roster(*rows: list[str]) -> SimpleUploadedFile:
    data = files.xlsx([["甲小区党员花名册"], HEADER, *rows])
    return SimpleUploadedFile("花名册.xlsx", data)


GOOD = ["王允功", id_number(seq=201), "13854601234"]
# A wrong check character: the last one of a valid number, changed.
BAD = ["李四", id_number(seq=202)[:-1] + "0", "12"]


def test_the_change_list_offers_the_import_to_club_staff_but_not_to_the_department(world: World):
    alice_page = signed_in(world, "alice").get("/admin/members/member/").content.decode()
    dora_page = signed_in(world, "dora").get("/admin/members/member/").content.decode()

    assert UPLOAD in alice_page
    assert UPLOAD not in dora_page
    assert signed_in(world, "dora").get(UPLOAD).status_code == 403


def test_uploading_validates_and_writes_nothing_until_confirmed(world: World):
    client = signed_in(world, "alice")
    before = Member.objects.count()

    page = client.post(UPLOAD, {"file": roster(GOOD), "club": world.club_a.pk})

    run = ImportRun.objects.get(file_name="花名册.xlsx")
    assert page.status_code == 200
    assert "确认导入" in page.content.decode()
    assert (run.status, run.rows, run.created, run.error_rows) == ("validated", 1, 1, 0)
    assert Member.objects.count() == before

    done = client.post(CONFIRM, {"run": run.pk})

    run.refresh_from_db()
    assert done.status_code == 302
    assert run.status == "applied"
    assert Member.objects.get(person__id_number=GOOD[1]).club == world.club_a


def test_the_preview_lists_each_error_with_its_row_and_a_file_with_errors_writes_nothing(
    world: World,
):
    client = signed_in(world, "alice")
    before = Member.objects.count()

    page = client.post(UPLOAD, {"file": roster(GOOD, BAD), "club": world.club_a.pk})
    run = ImportRun.objects.get(file_name="花名册.xlsx")
    done = client.post(CONFIRM, {"run": run.pk}, follow=True)

    body = page.content.decode()
    assert "第 4 行" in body and "校验位" in body and "只导入无误的行" in body
    run.refresh_from_db()
    assert run.status == "failed"
    assert Member.objects.count() == before
    assert "没有导入任何数据" in done.content.decode()


def test_valid_rows_only_imports_exactly_the_good_rows(world: World):
    client = signed_in(world, "alice")
    client.post(UPLOAD, {"file": roster(GOOD, BAD), "club": world.club_a.pk})
    run = ImportRun.objects.get(file_name="花名册.xlsx")

    client.post(CONFIRM, {"run": run.pk, "valid_only": "on"})

    run.refresh_from_db()
    assert (run.status, run.created, run.error_rows) == ("applied", 1, 1)
    assert Member.objects.filter(person__id_number=GOOD[1]).exists()
    assert not Member.objects.filter(person__name="李四").exists()


def test_a_file_that_is_no_spreadsheet_is_refused_on_the_form(world: World):
    client = signed_in(world, "alice")
    upload = SimpleUploadedFile("花名册.xlsx", b"%PDF-1.4 not a sheet")

    page = client.post(UPLOAD, {"file": upload, "club": world.club_a.pk})

    assert page.status_code == 200
    assert "确认导入" not in page.content.decode()
    assert ImportRun.objects.get(file_name="花名册.xlsx").rejected_code == "not_a_spreadsheet"


def test_a_club_user_cannot_pick_another_club_or_confirm_its_runs(world: World):
    alice, charlie = signed_in(world, "alice"), signed_in(world, "charlie")

    refused = alice.post(UPLOAD, {"file": roster(GOOD), "club": world.club_b.pk})
    charlie.post(UPLOAD, {"file": roster(GOOD), "club": world.club_b.pk})
    charlies_run = ImportRun.objects.get(club=world.club_b, file_name="花名册.xlsx")
    confirmed = alice.post(CONFIRM, {"run": charlies_run.pk})

    assert "club" in refused.context["form"].errors
    assert confirmed.status_code == 404
    charlies_run.refresh_from_db()
    assert charlies_run.status == "validated"
    assert not Member.objects.filter(person__id_number=GOOD[1]).exists()


def test_a_run_is_applied_once(world: World):
    client = signed_in(world, "alice")
    client.post(UPLOAD, {"file": roster(GOOD), "club": world.club_a.pk})
    run = ImportRun.objects.get(file_name="花名册.xlsx")
    client.post(CONFIRM, {"run": run.pk})

    again = client.post(CONFIRM, {"run": run.pk}, follow=True)

    assert "不能再导入" in again.content.decode()
    assert Member.objects.filter(person__id_number=GOOD[1]).count() == 1


def test_the_import_record_masks_quoted_id_numbers_for_staff_who_may_not_see_them(world: World):
    signed_in(world, "alice").post(UPLOAD, {"file": roster(BAD), "club": world.club_a.pk})
    run = ImportRun.objects.get(file_name="花名册.xlsx")
    page = f"/admin/imports/importrun/{run.pk}/change/"

    director = signed_in(world, "alice").get(page).content.decode()
    part_timer = signed_in(world, "bob").get(page).content.decode()

    assert BAD[1] in director
    assert BAD[1] not in part_timer
    assert f"{BAD[1][:6]}**********{BAD[1][-2:]}" in part_timer


def test_only_staff_who_may_see_full_numbers_download_the_kept_ledger_and_it_is_logged(
    world: World,
):
    signed_in(world, "alice").post(UPLOAD, {"file": roster(GOOD), "club": world.club_a.pk})
    run = ImportRun.objects.get(file_name="花名册.xlsx")
    url = reverse("files:download", args=[run.file_id])

    part_timer = signed_in(world, "bob").get(url)
    director = signed_in(world, "alice").get(url)

    assert part_timer.status_code == 404
    assert director.status_code == 200
    access = SensitiveAccess.objects.get(subject_ids=[str(run.file_id)])
    assert (access.user, access.club, access.action) == (
        world.people["alice"],
        world.club_a,
        "export",
    )
