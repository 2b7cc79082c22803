"""The project's own catalog translates the admin theme (django-unfold ships no Chinese)."""

import ast
import gettext
from pathlib import Path

import pytest
from django.test import Client

CATALOG_DIR = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = CATALOG_DIR / "django.po"
MO_FILE = CATALOG_DIR / "django.mo"

# A catalog key: "msgid" (with "context\x04" in front when there is a msgctxt),
# or ("msgid", n) for the n-th plural form, as gettext.GNUTranslations keys them.
CatalogKey = str | tuple[str, int]


def parse_po(text: str) -> dict[CatalogKey, str]:
    """Read a .po file into {key: msgstr}, leaving out the header and obsolete entries."""
    entries: list[dict[str, str]] = []
    entry: dict[str, str] = {}
    keyword = ""
    for raw_line in [*text.splitlines(), ""]:
        line = raw_line.strip()
        if not line:
            if "msgid" in entry:
                entries.append(entry)
            entry, keyword = {}, ""
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[keyword] += ast.literal_eval(line)
        else:
            keyword, _, value = line.partition(" ")
            entry[keyword] = ast.literal_eval(value)

    catalog: dict[CatalogKey, str] = {}
    for found in entries:
        msgid = found["msgid"]
        if not msgid:
            continue
        if "msgctxt" in found:
            msgid = f"{found['msgctxt']}\x04{msgid}"
        if "msgid_plural" in found:
            forms = sorted(k for k in found if k.startswith("msgstr["))
            for form in forms:
                catalog[(msgid, int(form[len("msgstr[") : -1]))] = found[form]
        else:
            catalog[msgid] = found["msgstr"]
    return catalog


def compiled_catalog() -> dict[CatalogKey, str]:
    """What Django will really read: the messages in the committed .mo file."""
    with MO_FILE.open("rb") as mo:
        messages = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    return {key: value for key, value in messages.items() if key != ""}


def test_the_compiled_catalog_matches_the_translations_and_none_is_left_empty():
    translations = parse_po(PO_FILE.read_text(encoding="utf-8"))

    assert translations, "the .po file holds no translations"
    empty = [key for key, msgstr in translations.items() if not msgstr.strip()]
    assert empty == [], f"untranslated strings: {empty}"
    assert compiled_catalog() == translations, (
        "django.mo is stale: run `msgfmt -c -o django.mo django.po` in " + str(CATALOG_DIR)
    )


@pytest.mark.django_db
def test_the_login_page_shows_the_admin_theme_in_chinese(client: Client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "返回" in page
    assert "Welcome back to" not in page
    assert "Return to site" not in page
