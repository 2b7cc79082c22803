import hashlib
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fuwushe.files.models import PrivateFile
from fuwushe.files.services import private_file_create, private_file_delete
from fuwushe.org.models import Club, Department, StaffPosting
from fuwushe.org.services import sync_user_groups
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


# --- Small real files, built by hand ---------------------------------------------


def png_bytes() -> bytes:
    """A 1×1 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """An 8×8 grey baseline JPEG: one block with no DC change and an immediate end-of-block."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    one_code_table = b"\x01" + b"\x00" * 15 + b"\x00"  # one 1-bit code for symbol 0
    return (
        b"\xff\xd8"
        + segment(0xDB, b"\x00" + b"\x01" * 64)
        + segment(0xC0, b"\x08" + struct.pack(">HH", 8, 8) + b"\x01\x01\x11\x00")
        + segment(0xC4, b"\x00" + one_code_table)
        + segment(0xC4, b"\x10" + one_code_table)
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f"  # DC "0", AC "0" (end of block), padded with ones
        + b"\xff\xd9"
    )


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
        b"trailer <</Root 1 0 R>>\n%%EOF\n"
    )


XLSX_MEMBERS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="党员" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
    "xl/worksheets/sheet1.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>张三</t></is></c></row>'
        "</sheetData></worksheet>"
    ),
}


def xlsx_bytes(extra_zeros: int = 0) -> bytes:
    """A one-sheet workbook; `extra_zeros` adds a member of that many zero bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in XLSX_MEMBERS.items():
            archive.writestr(name, text)
        if extra_zeros:
            with archive.open("xl/media/padding.bin", "w") as member:
                for _ in range(extra_zeros // MB):
                    member.write(bytes(MB))
    return buffer.getvalue()


def xls_bytes() -> bytes:
    """The header of an OLE2 compound file, the container of Excel 97–2003 workbooks."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


# --- People ----------------------------------------------------------------------


@dataclass
class World:
    east: Department
    west: Department
    happiness: Club  # east
    harmony: Club  # east
    sunrise: Club  # west
    alice: Any  # director of Happiness
    bob: Any  # director of Harmony, the other club in the east
    dora: Any  # administrator of the east department
    erin: Any  # administrator of the west department
    carol: Any  # the center


def staff(username: str, **posting: Any) -> Any:
    user = UserFactory.create(username=username)
    StaffPosting.objects.create(user=user, **posting)
    sync_user_groups(user)
    return user


@pytest.fixture
def world() -> World:
    east = Department.objects.create(code="D01", name="东区老年服务部")
    west = Department.objects.create(code="D02", name="西区老年服务部")
    happiness = Club.objects.create(code="C01", name="幸福党员服务社", department=east)
    harmony = Club.objects.create(code="C02", name="和谐党员服务社", department=east)
    sunrise = Club.objects.create(code="C03", name="朝阳党员服务社", department=west)
    return World(
        east=east,
        west=west,
        happiness=happiness,
        harmony=harmony,
        sunrise=sunrise,
        alice=staff("alice", level="club", club=happiness, role="director"),
        bob=staff("bob", level="club", club=harmony, role="director"),
        dora=staff("dora", level="department", department=east, role="department_admin"),
        erin=staff("erin", level="department", department=west, role="department_admin"),
        carol=UserFactory.create(username="carol", is_superuser=True),
    )


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_FILE_MAX_BYTES = 20 * MB
    return tmp_path / "media"


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()]


def alices_photo(world: World, name: str = "活动照片.png") -> PrivateFile:
    return private_file_create(
        user=world.alice,
        upload=upload(name, png_bytes()),
        purpose=PrivateFile.Purpose.PHOTO,
        club=world.happiness,
    )


# --- Storing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "purpose", "content_type"),
    [
        ("photo.png", png_bytes(), "photo", "image/png"),
        ("photo.jpg", jpeg_bytes(), "photo", "image/jpeg"),
        ("通知.pdf", pdf_bytes(), "attachment", "application/pdf"),
        (
            "名册.xlsx",
            xlsx_bytes(),
            "import",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("名册.xls", xls_bytes(), "import", "application/vnd.ms-excel"),
        ("名册.csv", "姓名,电话\n张三,13800000000\n".encode("gbk"), "import", "text/csv"),
        ("名册.csv", "\ufeff姓名,电话\n李四,13900000000\n".encode(), "import", "text/csv"),
    ],
    ids=["png", "jpeg", "pdf", "xlsx", "xls", "csv-gbk", "csv-utf8-bom"],
)
def test_it_keeps_a_real_file_of_an_allowed_type(
    world: World, media: Path, name: str, data: bytes, purpose: str, content_type: str
):
    private_file = private_file_create(
        user=world.alice, upload=upload(name, data), purpose=purpose, club=world.happiness
    )

    private_file.refresh_from_db()
    assert private_file.original_name == name
    assert private_file.content_type == content_type
    assert private_file.size == len(data)
    assert private_file.uploaded_by == world.alice
    assert private_file.file.read() == data
    assert stored_files(media) == [Path(private_file.file.path)]


def test_it_stores_the_file_under_a_generated_name_not_the_users(world: World):
    private_file = alices_photo(world, name="张三身份证.png")
    stored_name = str(private_file.file.name)

    assert stored_name.startswith("private/")
    assert stored_name.endswith(f"/{private_file.pk.hex}.png")
    assert "张三" not in stored_name


def test_it_records_the_sha256_of_the_content(world: World):
    private_file = alices_photo(world)

    assert private_file.sha256 == hashlib.sha256(png_bytes()).hexdigest()


def test_it_refuses_a_program_renamed_as_a_photo(world: World, media: Path):
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(100)

    with pytest.raises(ValidationError) as caught:
        private_file_create(
            user=world.alice,
            upload=upload("photo.jpg", program),
            purpose="photo",
            club=world.happiness,
        )

    assert caught.value.code == "not_allowed_type"
    assert caught.value.messages == ["文件“photo.jpg”不是允许的类型：照片只能是 JPG 或 PNG 图片。"]
    assert not PrivateFile.objects.exists()
    assert stored_files(media) == []


def test_it_refuses_a_pdf_as_a_photo(world: World):
    with pytest.raises(ValidationError) as caught:
        private_file_create(
            user=world.alice,
            upload=upload("photo.png", pdf_bytes()),
            purpose="photo",
            club=world.happiness,
        )

    assert caught.value.code == "not_allowed_type"


def test_it_refuses_a_binary_file_named_csv_for_import(world: World):
    with pytest.raises(ValidationError) as caught:
        private_file_create(
            user=world.alice,
            upload=upload("名册.csv", b"a,b\n\x00\x01\x02"),
            purpose="import",
            club=world.happiness,
        )

    assert caught.value.code == "not_allowed_type"
    assert "导入文件只能是 Excel 表格" in caught.value.messages[0]


def test_it_refuses_a_zip_that_is_not_a_workbook(world: World):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")

    with pytest.raises(ValidationError) as caught:
        private_file_create(
            user=world.alice,
            upload=upload("名册.xlsx", buffer.getvalue()),
            purpose="import",
            club=world.happiness,
        )

    assert caught.value.code == "not_allowed_type"


def test_it_refuses_a_file_over_the_limit(world: World, settings: Any, media: Path):
    settings.PRIVATE_FILE_MAX_BYTES = 1 * MB

    with pytest.raises(ValidationError) as caught:
        private_file_create(
            user=world.alice,
            upload=upload("a.png", png_bytes() + bytes(MB)),
            purpose="photo",
            club=world.happiness,
        )

    assert caught.value.code == "too_large"
    assert caught.value.messages == ["文件“a.png”超过 1 MB 的上限。"]
    assert stored_files(media) == []


def test_it_refuses_an_empty_file(world: World):
    with pytest.raises(ValidationError) as caught:
        private_file_create(
            user=world.alice, upload=upload("a.png", b""), purpose="photo", club=world.happiness
        )

    assert caught.value.code == "empty"


def test_it_refuses_a_workbook_that_unpacks_to_far_more_than_the_limit(
    world: World, settings: Any, media: Path
):
    settings.PRIVATE_FILE_MAX_BYTES = 1 * MB
    bomb = xlsx_bytes(extra_zeros=60 * MB)
    assert len(bomb) < MB

    with pytest.raises(ValidationError) as caught:
        private_file_create(
            user=world.alice,
            upload=upload("炸弹.xlsx", bomb),
            purpose="import",
            club=world.happiness,
        )

    assert caught.value.code == "zip_bomb"
    assert "炸弹.xlsx" in caught.value.messages[0]
    assert stored_files(media) == []


def test_a_club_user_cannot_store_a_file_for_another_club(world: World, media: Path):
    with pytest.raises(PermissionDenied):
        private_file_create(
            user=world.alice,
            upload=upload("photo.png", png_bytes()),
            purpose="photo",
            club=world.harmony,
        )

    assert not PrivateFile.objects.exists()
    assert stored_files(media) == []


def test_a_club_user_cannot_store_a_file_for_the_center(world: World):
    with pytest.raises(PermissionDenied):
        private_file_create(
            user=world.alice, upload=upload("photo.png", png_bytes()), purpose="photo"
        )


def test_a_department_admin_stores_files_for_the_department_and_its_clubs(world: World):
    for owner in ({"department": world.east}, {"club": world.harmony}):
        private_file_create(
            user=world.dora, upload=upload("a.png", png_bytes()), purpose="photo", **owner
        )

    with pytest.raises(PermissionDenied):
        private_file_create(
            user=world.dora,
            upload=upload("a.png", png_bytes()),
            purpose="photo",
            club=world.sunrise,
        )


def test_a_file_cannot_belong_to_a_club_and_a_department_at_once(world: World, media: Path):
    with pytest.raises(ValidationError):
        private_file_create(
            user=world.carol,
            upload=upload("a.png", png_bytes()),
            purpose="photo",
            club=world.happiness,
            department=world.east,
        )

    assert stored_files(media) == []


def test_a_failed_database_write_leaves_no_file_on_disk(
    world: World, media: Path, monkeypatch: pytest.MonkeyPatch
):
    def fail(*args: Any, **kwargs: Any) -> None:
        raise IntegrityError("simulated")

    monkeypatch.setattr(PrivateFile, "save", fail)

    with pytest.raises(IntegrityError):
        alices_photo(world)

    assert stored_files(media) == []


def test_the_audit_history_records_each_stored_file(world: World):
    first = alices_photo(world)
    second = alices_photo(world)

    for private_file in (first, second):
        events = pghistory.models.Events.objects.tracks(private_file)
        assert [event.pgh_label for event in events] == ["insert"]


def test_deleting_removes_the_row_and_the_stored_file(
    world: World, media: Path, django_capture_on_commit_callbacks: Any
):
    private_file = alices_photo(world)

    with django_capture_on_commit_callbacks(execute=True):
        private_file_delete(user=world.alice, file=private_file)

    assert not PrivateFile.objects.exists()
    assert stored_files(media) == []


def test_a_user_cannot_delete_another_clubs_file(world: World, media: Path):
    private_file = alices_photo(world)

    with pytest.raises(PermissionDenied):
        private_file_delete(user=world.bob, file=private_file)

    assert PrivateFile.objects.filter(pk=private_file.pk).exists()


# --- Downloading -----------------------------------------------------------------


def download(client: Client, user: Any, private_file: PrivateFile) -> Any:
    if user is not None:
        client.force_login(user)
    return client.get(reverse("files:download", args=[private_file.pk]))


def test_the_owning_clubs_staff_download_the_file_with_its_name(client: Client, world: World):
    private_file = alices_photo(world, name="活动照片.png")

    response = download(client, world.alice, private_file)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E6%B4%BB%E5%8A%A8%E7%85%A7%E7%89%87.png"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("who", "status"),
    [("bob", 404), ("dora", 200), ("erin", 404), ("carol", 200)],
)
def test_only_people_whose_scope_covers_the_file_download_it(
    client: Client, world: World, who: str, status: int
):
    private_file = alices_photo(world)

    assert download(client, getattr(world, who), private_file).status_code == status


def test_an_anonymous_visitor_is_sent_to_the_login_page(client: Client, world: World):
    private_file = alices_photo(world)

    response = download(client, None, private_file)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/files/")


def test_an_unknown_file_is_not_found(client: Client, world: World):
    client.force_login(world.carol)

    response = client.get("/files/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404


# --- Admin -----------------------------------------------------------------------


def test_the_admin_list_shows_club_staff_only_their_clubs_files(client: Client, world: World):
    alices_photo(world, name="幸福社活动.png")
    private_file_create(
        user=world.bob,
        upload=upload("和谐社活动.png", png_bytes()),
        purpose="photo",
        club=world.harmony,
    )
    client.force_login(world.alice)

    response = client.get(reverse("admin:files_privatefile_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "幸福社活动.png" in page
    assert "和谐社活动.png" not in page


def test_the_admin_list_costs_the_same_queries_for_many_files(client: Client, world: World):
    client.force_login(world.alice)
    url = reverse("admin:files_privatefile_changelist")
    alices_photo(world)
    with CaptureQueriesContext(connection) as one_file:
        client.get(url)
    for _ in range(4):
        alices_photo(world)

    with CaptureQueriesContext(connection) as five_files:
        client.get(url)

    assert len(five_files) == len(one_file)


def test_club_staff_upload_a_photo_through_the_admin(client: Client, world: World):
    client.force_login(world.alice)

    form = client.get(reverse("admin:files_privatefile_add"))
    response = client.post(
        reverse("admin:files_privatefile_add"),
        {
            "upload": upload("义诊.png", png_bytes()),
            "purpose": "photo",
            "club": world.happiness.pk,
            "department": "",
        },
    )

    assert form.status_code == 200
    assert f'<option value="{world.happiness.pk}" selected>' in form.content.decode()
    assert response.status_code == 302
    private_file = PrivateFile.objects.get()
    assert private_file.original_name == "义诊.png"
    assert private_file.club == world.happiness
    assert private_file.uploaded_by == world.alice


def test_the_admin_explains_a_refused_upload(client: Client, world: World):
    client.force_login(world.alice)

    response = client.post(
        reverse("admin:files_privatefile_add"),
        {
            "upload": upload("photo.jpg", b"MZ\x90\x00" + bytes(100)),
            "purpose": "photo",
            "club": world.happiness.pk,
        },
    )

    assert response.status_code == 200
    assert "照片只能是 JPG 或 PNG 图片" in response.content.decode()
    assert not PrivateFile.objects.exists()


def test_a_stored_file_cannot_be_edited_in_the_admin(client: Client, world: World):
    private_file = alices_photo(world)
    client.force_login(world.alice)
    url = reverse("admin:files_privatefile_change", args=[private_file.pk])

    page = client.get(url)
    response = client.post(url, {"purpose": "attachment"})

    assert page.status_code == 200
    assert reverse("files:download", args=[private_file.pk]) in page.content.decode()
    assert response.status_code == 403


def test_deleting_in_the_admin_goes_through_the_service(
    client: Client, world: World, media: Path, django_capture_on_commit_callbacks: Any
):
    private_file = alices_photo(world)
    client.force_login(world.alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:files_privatefile_delete", args=[private_file.pk]), {"post": "yes"}
        )

    assert response.status_code == 302
    assert not PrivateFile.objects.exists()
    assert stored_files(media) == []
