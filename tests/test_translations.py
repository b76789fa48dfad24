"""The translation catalogues: well-formed, complete, and actually in effect.

* ioudesk/locale/zh_Hans: Simplified Chinese for the third-party packages (django-unfold ships no
  Chinese; django-axes, django-tasks(-db), django-otp have untranslated strings).
* ioudesk/locale/en: English for the project's own strings, whose msgids are Chinese.

The page tests render the back office and look at what a user sees (text, titles, placeholders)
for the other language leaking through. They need the compiled .mo files
(`python -m ioudesk.core.catalogues`, which `make test` runs first) and fail without them.
Refresh the catalogues with `python scripts/i18n_refresh.py`.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "ioudesk" / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
ALL_PO = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))

# English tokens that may legitimately stand in Chinese text, each with its reason. Every Latin
# word used in a zh_Hans translation must be listed here, so the list is the one place where such
# words are decided.
TECHNICAL_TOKENS = {
    "ip": "IP 地址: the usual Chinese term keeps the abbreviation",
    "id": "对象ID, 工作进程 ID: identifiers are written ID in Chinese",
    "get": "GET 数据: HTTP method name",
    "post": "POST 数据: HTTP method name",
    "http": "HTTP Accept 请求头: protocol name",
    "accept": "HTTP Accept 请求头: the header's literal name",
    "user": "用户代理（User-Agent）: the header's literal name",
    "agent": "用户代理（User-Agent）: the header's literal name",
    "sha": "SHA-256: the hash algorithm's name",
    "text": "CSS class names inside the 'Raw passwords …' HTML link (not visible text)",
    "primary": "CSS class names inside the 'Raw passwords …' HTML link (not visible text)",
    "dark": "CSS class names inside the 'Raw passwords …' HTML link (not visible text)",
    "django": "product name ('Django administration'); unfold's branding is replaced by ours",
}

# Chinese text on the English dashboard that is not interface text: each language's own name in
# the language switcher is written in that language on purpose.
CJK_WHITELIST = {"简体中文": "the name of the Chinese language in the language switcher"}

PLACEHOLDER = re.compile(
    r"%\((?P<named>[^)]+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]"  # %(name)s
    r"|%[#0 +-]*\d*(?:\.\d+)?(?P<positional>[diouxXeEfFgGcrs])"  # %s
    r"|\{(?P<brace>[^{}]*)\}"  # {0}, {count}, {}
)
TEMPLATE_PLACEHOLDER = re.compile(r"\{[\u4e00-\u9fff]+\}")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[A-Za-z][A-Za-z’']*[A-Za-z]")


def placeholders(text: str) -> Counter:
    found = Counter()
    for match in PLACEHOLDER.finditer(text.replace("%%", "")):
        if match.group("named") is not None:
            found["%(" + match.group("named") + ")"] += 1
        elif match.group("positional") is not None:
            found["%" + match.group("positional")] += 1
        else:
            found["{" + match.group("brace") + "}"] += 1
    return found


def active_entries(po: polib.POFile):
    return [entry for entry in po if not entry.obsolete]


def translations(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


# --- (a) the .po files ------------------------------------------------------------------------


def test_both_catalogues_exist():
    assert ZH_PO in ALL_PO and EN_PO in ALL_PO


@pytest.mark.parametrize("po_path", ALL_PO, ids=lambda p: str(p.relative_to(LOCALE_DIR)))
def test_catalogue_parses_without_fuzzy_or_untranslated_entries(po_path):
    po = polib.pofile(str(po_path))  # raises on a syntax error
    assert not po.metadata_is_fuzzy, "the header is marked fuzzy: msgfmt would drop the charset"
    assert po.metadata.get("Content-Type") == "text/plain; charset=UTF-8"
    fuzzy = [entry.msgid for entry in active_entries(po) if "fuzzy" in entry.flags]
    assert not fuzzy, f"fuzzy entries are ignored by Django; translate them and drop the flag: {fuzzy}"
    untranslated = [entry.msgid for entry in active_entries(po) if not entry.translated()]
    assert not untranslated, f"untranslated (run scripts/i18n_refresh.py, then translate): {untranslated}"


@pytest.mark.parametrize("po_path", ALL_PO, ids=lambda p: str(p.relative_to(LOCALE_DIR)))
def test_placeholders_in_translations_match_the_msgid(po_path):
    wrong = []
    for entry in active_entries(polib.pofile(str(po_path))):
        if "python-format" not in entry.flags and "python-brace-format" not in entry.flags and not (
            PLACEHOLDER.search(entry.msgid)
        ):
            continue
        for msgstr in translations(entry):
            # One plural form stands for both msgid and msgid_plural (zh has nplurals=1), which
            # may differ only in wording, never in placeholders.
            if msgstr and placeholders(msgstr) != placeholders(entry.msgid):
                wrong.append((entry.msgid, msgstr))
    assert not wrong


def test_placeholder_check_catches_a_mistake():
    assert placeholders("已解除 %(name)s 的登录锁定。") == placeholders("Unlocked %(name)s.")
    assert placeholders("已解除 %(nmae)s 的登录锁定。") != placeholders("Unlocked %(name)s.")
    assert placeholders("{count} 条") != placeholders("{0} rows")
    assert placeholders("100%% 完成 %s") == placeholders("%s done")


def test_catalogue_headers():
    zh = polib.pofile(str(ZH_PO))
    assert zh.metadata["Language"] == "zh_Hans"
    assert zh.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    for entry in active_entries(zh):
        if entry.msgid_plural:
            assert set(entry.msgstr_plural) == {0}, entry.msgid
    en = polib.pofile(str(EN_PO))
    assert en.metadata["Language"] == "en"
    # The English catalogue holds the project's own strings: Chinese msgids, English msgstrs.
    # A message template's placeholders have Chinese names by design ({客户姓名}): users type them
    # as written, so a translation keeps those that its msgid has, and nothing else Chinese.
    for entry in active_entries(en):
        kept = {match.group(0) for match in TEMPLATE_PLACEHOLDER.finditer(entry.msgid)}
        for msgstr in translations(entry):
            for placeholder in kept:
                msgstr = msgstr.replace(placeholder, "")
            assert not CJK.search(msgstr), (entry.msgid, msgstr)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
@pytest.mark.parametrize("po_path", ALL_PO, ids=lambda p: str(p.relative_to(LOCALE_DIR)))
def test_msgfmt_check(po_path, tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "out.mo"), str(po_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_technical_tokens_cover_every_latin_word_in_the_chinese_translations():
    words = set()
    for entry in active_entries(polib.pofile(str(ZH_PO))):
        for msgstr in translations(entry):
            words |= {word.lower() for word in WORD.findall(strip_markup(msgstr))}
    assert words <= set(TECHNICAL_TOKENS), words - set(TECHNICAL_TOKENS)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext's xgettext is not installed")
def test_every_third_party_string_is_in_the_chinese_catalogue():
    """A package upgrade that adds strings fails here until the refresh script is re-run."""
    spec = importlib.util.spec_from_file_location("i18n_refresh", ROOT / "scripts" / "i18n_refresh.py")
    refresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(refresh)
    catalogue = {(e.msgctxt, e.msgid) for e in active_entries(polib.pofile(str(ZH_PO))) if e.translated()}
    missing = [(e.msgctxt, e.msgid) for e in refresh.extract_third_party() if (e.msgctxt, e.msgid) not in catalogue]
    assert not missing, f"run scripts/i18n_refresh.py and translate: {missing}"


# --- visible text --------------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a user can see or hear: text nodes and the title/placeholder/aria-label/alt
    attributes (and the value of buttons), without scripts, styles and the Material Symbols icon
    ligatures (whose text, e.g. "search", is an icon name, drawn as a glyph)."""

    SKIP = {"script", "style", "noscript"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: is its content hidden from the check?

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in self.ATTRIBUTES:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in {"submit", "button", "reset"} and attrs.get("value"):
            self.parts.append(attrs["value"])
        if tag in self.VOID:
            return
        hidden = tag in self.SKIP or "material-symbols" in (attrs.get("class") or "")
        self.stack.append(hidden or (bool(self.stack) and self.stack[-1]))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


def strip_markup(text: str) -> str:
    """A msgid without its HTML and placeholders: the words a translator translates."""
    text = re.sub(r"<[^>]*>", " ", text)
    return PLACEHOLDER.sub(" ", text)


def test_visible_text_skips_scripts_styles_and_icons():
    html = (
        '<p title="A title">Shown <span class="material-symbols-outlined">search</span></p>'
        "<script>var hidden = 'Filters';</script><style>.x{}</style><br>"
        '<input type="submit" value="Go"><input placeholder="Type to search" value="data">'
    )
    assert visible_text(html).split("\n") == ["A title", "Shown", "Go", "Type to search"]


@pytest.fixture(scope="module")
def english_words():
    """Lowercased multi-letter English words of the third-party msgids, minus technical tokens."""
    words = set()
    for entry in active_entries(polib.pofile(str(ZH_PO))):
        for msgid in filter(None, [entry.msgid, entry.msgid_plural]):
            words |= {word.lower() for word in WORD.findall(strip_markup(msgid))}
    assert {"welcome", "filters", "search", "select"} <= words
    return words - set(TECHNICAL_TOKENS)


def leaked_english(html: str, english_words: set[str], exclude=()) -> list[str]:
    text = visible_text(html)
    for string in sorted(exclude, key=len, reverse=True):
        text = text.replace(string, "")
    leaks = []
    for line in text.split("\n"):
        hits = [word for word in WORD.findall(line) if word.lower() in english_words]
        if hits:
            leaks.append(f"{line!r} ({', '.join(hits)})")
    return leaks


# --- (b) Chinese pages ---------------------------------------------------------------------------


@pytest.fixture
def zh_superuser(db, django_user_model):
    from ioudesk.core.services import organisation_ensure

    organisation = organisation_ensure()
    # A username that is not an English word: it is shown in the header.
    return django_user_model.objects.create_superuser(
        username="zhangwei", password="Zhang-wei-2026", email="", branch=organisation.branches.first()
    )


def _get_zh(client, url):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, (url, response.status_code)
    assert response.headers.get("Content-Language") == "zh-hans"
    return response.content.decode()


def test_login_page_speaks_chinese(client, db, english_words):
    from ioudesk.core.services import organisation_ensure

    organisation_ensure()
    html = _get_zh(client, "/admin/login/")
    assert "欢迎回到" in visible_text(html)
    assert not leaked_english(html, english_words)


ZH_PAGES = [
    "/admin/",
    "/admin/core/user/",
    "/admin/core/user/{user_id}/change/",
    "/admin/core/auditevent/",
    "/admin/core/branch/",
    "/admin/auth/group/add/",
]


@pytest.mark.parametrize("url", ZH_PAGES)
def test_back_office_page_has_no_english_from_the_packages(client, zh_superuser, english_words, url):
    client.force_login(zh_superuser)
    html = _get_zh(client, url.format(user_id=zh_superuser.pk))
    assert CJK.search(visible_text(html))
    leaks = leaked_english(html, english_words)
    assert not leaks, "English on a Chinese page:\n" + "\n".join(leaks)


def test_package_app_and_model_names_are_chinese(db):
    from django.contrib.contenttypes.models import ContentType
    from django.utils import translation
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_tasks_db.models import DBTaskResult

    with translation.override("zh-hans"):
        names = [str(ContentType.objects.get_for_model(model)) for model in (TOTPDevice, DBTaskResult)]
    assert not [name for name in names if WORD.search(name)], names


def test_permission_labels_follow_the_language(db):
    """Django stores "Can add …" in English; the pickers label permissions from the translated
    model names instead (ioudesk.core.permissions)."""
    from django.contrib.auth.models import Permission
    from django.utils import translation

    from ioudesk.core.permissions import permission_label

    permissions = list(Permission.objects.select_related("content_type"))
    with translation.override("zh-hans"):
        chinese = [permission_label(p) for p in permissions]
    with translation.override("en"):
        english = [permission_label(p) for p in permissions]

    english_in_chinese = [label for label in chinese if WORD.search(label)]
    chinese_in_english = [label for label in english if CJK.search(label)]
    assert not english_in_chinese, english_in_chinese[:5]
    assert not chinese_in_english, chinese_in_english[:5]
    assert "系统设置 | 可以查看员工" in chinese and "Settings | Can view Staff" in english


def test_changelist_chrome_is_translated(client, zh_superuser):
    """Strings that only the zh_Hans catalogue translates (Django does not have them)."""
    client.force_login(zh_superuser)
    text = visible_text(_get_zh(client, "/admin/core/user/"))
    assert "输入关键字搜索" in text  # "Type to search"


def test_the_check_would_see_english(english_words):
    html = '<div><h2>Filters</h2><input placeholder="Type to search"><span class="material-symbols-outlined">' \
           "search</span></div>"
    assert len(leaked_english(html, english_words)) == 2


# --- (c) English pages ---------------------------------------------------------------------------


def _data_strings(user):
    """Chinese text that is data, not interface: names of the organisation, branches and roles,
    and what the audit trail recorded for the user (their "recent activity" on the dashboard)."""
    from django.contrib.auth.models import Group

    from ioudesk.core.models import AuditEvent, Branch, Organisation

    strings = set(CJK_WHITELIST)
    for organisation in Organisation.objects.all():
        strings |= {organisation.name, organisation.short_name, organisation.logo_text}
    strings |= set(Branch.objects.values_list("name", flat=True))
    strings |= set(Group.objects.values_list("name", flat=True))
    for event in AuditEvent.objects.filter(actor_id=user.pk):
        strings |= {event.verb, event.object_repr}
    return sorted(filter(None, strings), key=len, reverse=True)


def test_dashboard_in_english_has_no_chinese_chrome(client, zh_superuser):
    from django.contrib.auth.models import Group

    from ioudesk.core.roles import roles_sync

    roles_sync()
    zh_superuser.groups.add(*Group.objects.all()[:1])
    client.force_login(zh_superuser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/admin/")
    assert response.status_code == 200
    assert response.headers.get("Content-Language") == "en"
    text = visible_text(response.content.decode())
    for word in ["Customers", "IOUs", "Collections", "Settings", "Business date", "Audit log", "Branches"]:
        assert word in text, f"sidebar entry {word!r} is missing from the English dashboard"
    for data in _data_strings(zh_superuser):
        text = text.replace(data, "")
    leftovers = [line for line in text.split("\n") if CJK.search(line)]
    assert not leftovers, "Chinese on the English dashboard:\n" + "\n".join(leftovers)


def test_language_switch_through_setlang(client, zh_superuser):
    client.force_login(zh_superuser)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert response.status_code == 302
    text = visible_text(client.get("/admin/").content.decode())
    assert "Audit log" in text and "审计日志" not in text
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/admin/"})
    text = visible_text(client.get("/admin/").content.decode())
    assert "审计日志" in text and "Audit log" not in text


def test_every_gettext_alias_is_extracted():
    """`from django.utils.translation import gettext as _g`: strings called through an alias reach
    the English catalogue only when the refresh script passes the alias to xgettext."""
    spec = importlib.util.spec_from_file_location("i18n_refresh", ROOT / "scripts" / "i18n_refresh.py")
    refresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(refresh)
    aliases = set()
    for path in (ROOT / "ioudesk").rglob("*.py"):
        aliases |= set(re.findall(r"import (?:n?gettext|pgettext)(?:_lazy)? as (\w+)", path.read_text(encoding="utf-8")))
    assert aliases - {"_"} <= set(refresh.GETTEXT_ALIASES), aliases
