"""One masking rule for numbers in free text: any writing of the user's data, never the
message's own examples (members.privacy.mask_numbers / mask_quoting)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fuwushe.imports.admin import masked_error
from fuwushe.imports.models import ImportRun
from members.privacy import mask_numbers, mask_quoting
from tests.imports import files
from tests.scoping.world import World

BAD_PHONE = "电话“12345”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。"


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("370502195106038282", "370502**********82"),
        ("370502-19510603-8282", "370502**********82"),
        ("370502.195612052394", "370502**********94"),
        ("370502 1956 1205 2394", "370502**********94"),
        ("370502/1956/1205/2394", "370502**********94"),
        ("３７０５０２１９５６１２０５２３９４", "370502**********94"),
        ("37050219561205239x", "370502**********9X"),
        ("370502_19561205_239Ｘ", "370502**********9X"),
        ("370502561205239", "370502*******39"),  # an old 15-digit number
        (
            "身份证：370502-19510603-8282，电话 138 5460 1234",
            "身份证：370502**********82，电话 138****1234",
        ),
        ("0546-8123456", "0546-***3456"),
        ("１３８５４６０１２３４", "138****1234"),
    ],
)
def test_every_writing_of_an_id_number_or_phone_is_masked(written: str, shown: str):
    assert mask_numbers(written) == shown


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("13812345678、123", "138****5678、123"),
        ("13812345678/5", "138****5678/5"),
        ("13812345678-1", "********678-1"),
        ("12 13812345678", "** *******5678"),
        ("1385460123", "******0123"),  # a mobile with a digit missing
        ("7654324 7654325", "***4324 ***4325"),
        ("13955501235 0546-7654323", "139****1235 0546-***4323"),
        ("13812345678/13812345679/13812345670", "138****5678/138****5679/138****5670"),
    ],
)
def test_broken_and_crowded_phone_cells_are_masked_too(written: str, shown: str):
    """What a bad_phone error quotes: two numbers, one cut short, one with a digit missing."""
    message = f"电话“{written}”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。"

    assert mask_numbers(written) == shown
    assert mask_quoting(message, written) == message.replace(written, shown)


@pytest.mark.parametrize("text", ["1950.13", "1950-03-01", "第 7–14 位", "12号楼3单元", "12345"])
def test_dates_counts_and_short_numbers_stay_as_written(text: str):
    assert mask_numbers(text) == text


def test_the_example_phone_of_a_message_is_not_the_users_data():
    assert mask_quoting(BAD_PHONE, "12345") == BAD_PHONE


def test_a_message_quoting_the_users_number_in_another_writing_is_masked():
    assert mask_quoting("身份证号 370502195106038282 与第 3 行重复。", "370502-19510603-8282") == (
        "身份证号 370502**********82 与第 3 行重复。"
    )
    assert (
        mask_quoting(
            "电话“+86 138 5460 1234”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。",
            "+86 138 5460 1234",
        )
        == "电话“+138****1234”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。"
    )


def test_a_message_never_shows_an_id_number_even_one_not_in_the_value():
    assert mask_quoting("与 370502.195612052394 相同", "某某") == "与 370502**********94 相同"


def test_an_error_is_masked_in_its_value_and_in_what_its_message_quotes():
    error = {
        "row": 3,
        "column": "身份证号",
        "value": "370502-19510603-8283",
        "code": "bad_id_checksum",
        "message": "身份证号“370502-19510603-8283”的校验位（最后一位）不对，请核对是否抄错。",
    }

    assert masked_error(error) == {
        "row": 3,
        "column": "身份证号",
        "value": "370502**********83",
        "code": "bad_id_checksum",
        "message": "身份证号“370502**********83”的校验位（最后一位）不对，请核对是否抄错。",
    }


# --- in the admin -----------------------------------------------------------------------

UPLOAD = "/admin/members/member/import/"
# A real-looking number written with dashes (refused: dashes are no part of one), and a
# bad phone beside a good number.
DASHED = "370502-19510603-8282"
ROWS = [
    ["姓名", "身份证号", "联系电话"],
    ["王允功", DASHED, ""],
    ["李秀英", "370502195106038266", "12345"],
]


def signed_in(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.people[name])
    return client


@pytest.mark.django_db
def test_staff_who_may_not_see_numbers_see_none_in_the_upload_page_or_the_import_record(
    world: World,
):
    upload = SimpleUploadedFile("花名册.xlsx", files.xlsx(ROWS))
    preview = signed_in(world, "bob").post(UPLOAD, {"file": upload, "club": world.club_a.pk})
    run = ImportRun.objects.get(file_name="花名册.xlsx")
    record_url = f"/admin/imports/importrun/{run.pk}/change/"
    record = signed_in(world, "bob").get(record_url).content.decode()
    director = signed_in(world, "alice").get(record_url).content.decode()

    for page in (preview.content.decode(), record):
        assert "19510603" not in page and "1951-06-03" not in page
        assert "370502**********82" in page
        assert BAD_PHONE in page  # its example is no one's number
    assert DASHED in director
