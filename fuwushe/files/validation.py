"""What an upload really is, judged by its content (never its name), and whether to keep it."""

import codecs
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import TypeAlias

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File

from fuwushe.files.models import PrivateFile

Purpose = PrivateFile.Purpose
# Browser uploads, and files that imports and tasks open themselves.
Upload: TypeAlias = "File[bytes]"

MB = 1024 * 1024
# An XLSX is a zip of XML. Its members may together unpack to at most this many times
# the upload limit, and no large member may unpack to more than this many times its
# compressed size: spreadsheet XML compresses well, but nowhere near a thousandfold.
MAX_UNPACKED_FACTOR = 50
MAX_MEMBER_RATIO = 200
RATIO_CHECKED_FROM = MB


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str


JPEG = FileType("image/jpeg", ".jpg")
PNG = FileType("image/png", ".png")
PDF = FileType("application/pdf", ".pdf")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
XLS = FileType("application/vnd.ms-excel", ".xls")
CSV = FileType("text/csv", ".csv")

ALLOWED: dict[str, tuple[frozenset[FileType], str]] = {
    Purpose.PHOTO: (frozenset({JPEG, PNG}), "照片只能是 JPG 或 PNG 图片。"),
    Purpose.ATTACHMENT: (
        frozenset({JPEG, PNG, PDF, XLSX, XLS}),
        "附件只能是 JPG、PNG 图片，PDF 文件或 Excel 表格（XLSX、XLS）。",
    ),
    Purpose.IMPORT: (
        frozenset({XLSX, XLS, CSV}),
        "导入文件只能是 Excel 表格（XLSX、XLS）或 CSV 文件（UTF-8 或 GBK 编码）。",
    ),
}

# Magic bytes at the start of the file. XLS is the OLE2 compound file header.
SIGNATURES = [
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"%PDF-", PDF),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", XLS),
]
ZIP_SIGNATURE = b"PK\x03\x04"
TEXT_ENCODINGS = ["utf-8-sig", "gb18030"]  # UTF-8 with or without BOM; GB18030 ⊃ GBK


def clean_file_name(name: str | None) -> str:
    """The user's file name without folders or control characters, fit for a header."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c) != "Cc").strip()
    return base[-255:] or "未命名文件"


def validate_upload(upload: Upload, *, purpose: str) -> FileType:
    """Return the upload's detected type, or raise ValidationError saying why it is refused."""
    name = clean_file_name(upload.name)
    if purpose not in ALLOWED:
        raise ValidationError(f"未知的文件用途：{purpose}。", code="invalid_purpose")
    allowed, rule = ALLOWED[purpose]
    if not upload.size:
        raise ValidationError(f"文件“{name}”是空的。", code="empty")
    limit = settings.PRIVATE_FILE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(f"文件“{name}”超过 {size_label(limit)} 的上限。", code="too_large")
    file_type = detect_type(upload, text_allowed=CSV in allowed)
    if file_type not in allowed:
        raise ValidationError(f"文件“{name}”不是允许的类型：{rule}", code="not_allowed_type")
    if file_type == XLSX and is_zip_bomb(upload, limit):
        raise ValidationError(
            f"文件“{name}”解压后过大，疑似恶意构造的压缩文件，已拒绝。", code="zip_bomb"
        )
    return file_type


def detect_type(upload: Upload, *, text_allowed: bool) -> FileType | None:
    """The type the content shows; text is only tried (reading it all) when it is wanted."""
    upload.seek(0)
    head = upload.read(8)
    for signature, file_type in SIGNATURES:
        if head.startswith(signature):
            return file_type
    if head.startswith(ZIP_SIGNATURE):
        return XLSX if _is_xlsx(upload) else None
    if text_allowed and _is_text(upload):
        return CSV
    return None


def size_label(size: int) -> str:
    if size >= MB:
        return f"{size / MB:g} MB"
    return f"{size / 1024:g} KB"


def _is_xlsx(upload: Upload) -> bool:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def is_zip_bomb(upload: Upload, limit: int) -> bool:
    # Only the declared sizes are read, nothing is unpacked. zipfile (and so openpyxl)
    # stops unpacking a member at its declared size, so these sizes are a real bound.
    with zipfile.ZipFile(upload) as archive:
        members = archive.infolist()
    if sum(m.file_size for m in members) > MAX_UNPACKED_FACTOR * limit:
        return True
    return any(
        m.file_size >= RATIO_CHECKED_FROM
        and m.file_size > MAX_MEMBER_RATIO * max(m.compress_size, 1)
        for m in members
    )


def _is_text(upload: Upload) -> bool:
    for encoding in TEXT_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for chunk in upload.chunks():
                if b"\0" in chunk:
                    return False
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return True
    return False
