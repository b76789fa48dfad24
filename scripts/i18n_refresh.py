#!/usr/bin/env python
"""Regenerate and merge IOU Desk's translation catalogues, keeping every existing translation.

Run from the project root (re-runnable, idempotent):

    .venv/bin/python scripts/i18n_refresh.py            # refresh both catalogues, compile, report
    .venv/bin/python scripts/i18n_refresh.py --check    # exit 1 if any entry is untranslated/fuzzy

Two catalogues live under ioudesk/locale (LOCALE_PATHS[0]); they have different sources:

* ioudesk/locale/zh_Hans/LC_MESSAGES/django.po — the THIRD-PARTY strings only. The packages
  listed in THIRD_PARTY (django-unfold, django-axes, django-tasks, django-tasks-db, django-otp,
  django-simple-captcha, whose own zh_Hans wording differs from Django's)
  ship no (or no Chinese) translation, so their English leaks into the Chinese back office.
  Their .py files go through xgettext (Django's makemessages keywords: gettext, gettext_lazy,
  ngettext(_lazy), pgettext(_lazy), npgettext(_lazy), gettext_noop, _), their templates through
  django.utils.translation.template.templatize first, exactly as makemessages does. Entries whose
  msgid (and msgctxt) Django's own zh_Hans catalogues already translate are pre-filled with
  Django's wording, so our catalogue (which takes precedence, being in LOCALE_PATHS) never
  contradicts the admin's; everything else is translated by hand in the .po file.
  The project's own strings are NOT put here: their msgids are already Chinese, and gettext
  falls back to the msgid.

* ioudesk/locale/en/LC_MESSAGES/django.po — the PROJECT's own strings (Chinese msgids) with
  English translations, produced by Django's makemessages (`-l en`) with fuzzy matching turned
  off (a fuzzy guess for a Chinese msgid is nearly always wrong, and Django ignores fuzzy
  entries anyway). New strings arrive untranslated and are reported; translate them in the .po.

Merging is by exact (msgctxt, msgid): an existing translation is kept for as long as the
string exists in the sources. Entries that disappear from the sources are dropped from the
third-party catalogue (it is regenerated from pinned package versions) and kept as obsolete
(#~) entries in the English catalogue, so that a string removed and re-added mid-feature gets
its translation back. Finally the .mo files are compiled (ioudesk.core.catalogues) and checked
with `msgfmt --check` when msgfmt is installed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "ioudesk" / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"

THIRD_PARTY = ["unfold", "axes", "django_tasks", "django_tasks_db", "django_otp", "captcha"]
# The names project modules import gettext as (tests/test_translations.py checks every alias is here).
GETTEXT_ALIASES = ("_g", "_t")

# Directories of the project that makemessages must not scan for the English catalogue.
PROJECT_IGNORE = [".venv", "venv", "var", "build", "dist", "node_modules", "scripts", "docs", "*.egg-info"]

XGETTEXT_PYTHON = [
    "xgettext",
    "--language=Python",
    "--from-code=UTF-8",
    "--add-comments=Translators",
    "--keyword=gettext_noop",
    "--keyword=gettext_lazy",
    "--keyword=ngettext_lazy:1,2",
    "--keyword=pgettext:1c,2",
    "--keyword=npgettext:1c,2,3",
    "--keyword=pgettext_lazy:1c,2",
    "--keyword=npgettext_lazy:1c,2,3",
    "--sort-output",
    "--output=-",
]

ZH_HEADER = {
    "Project-Id-Version": "IOU Desk third-party strings",
    "Report-Msgid-Bugs-To": "",
    "Language-Team": "IOU Desk",
    "Language": "zh_Hans",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=1; plural=0;",
}
EN_HEADER = {
    "Project-Id-Version": "IOU Desk",
    "Language-Team": "IOU Desk",
    "Language": "en",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=2; plural=(n != 1);",
}


def site_packages() -> Path:
    import django

    return Path(django.__file__).resolve().parent.parent


def log(message: str) -> None:
    print(message, flush=True)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- third-party extraction -----------------------------------------------------------------


def _source_files(package_dir: Path):
    for path in sorted(package_dir.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        rel = path.relative_to(package_dir).parts
        if "tests" in rel or path.name.startswith("test_") or "migrations" in rel:
            continue
        if path.suffix in {".py", ".html", ".txt"}:
            if path.suffix == ".txt" and "templates" not in rel:
                continue
            yield path


def extract_third_party() -> polib.POFile:
    """One template catalogue (POT) of every translatable string of the THIRD_PARTY packages."""
    from django.utils.translation.template import templatize

    sp = site_packages()
    with tempfile.TemporaryDirectory(prefix="ioudesk-i18n-") as tmp:
        tmpdir = Path(tmp)
        inputs: list[str] = []
        for package in THIRD_PARTY:
            package_dir = sp / package
            if not package_dir.is_dir():
                log(f"warning: package {package} is not installed; skipped")
                continue
            for path in _source_files(package_dir):
                rel = path.relative_to(sp)
                if path.suffix == ".py":
                    inputs.append(str(rel))
                    continue
                # A template: templatize it into Python source that xgettext understands (the
                # same preprocessing makemessages does), written beside in the temp tree.
                target = tmpdir / (str(rel) + ".py")
                target.parent.mkdir(parents=True, exist_ok=True)
                source = path.read_text(encoding="utf-8")
                target.write_text(templatize(source, origin=str(rel)), encoding="utf-8")
                inputs.append(str(target.relative_to(tmpdir)))
        # Python files are read from site-packages, templatized ones from the temp tree; give
        # xgettext both directories as search path so that locations stay package-relative.
        files_from = tmpdir / "files.txt"
        files_from.write_text("\n".join(inputs) + "\n", encoding="utf-8")
        result = subprocess.run(
            XGETTEXT_PYTHON + ["--files-from", str(files_from), "--directory", str(sp),
                               "--directory", str(tmpdir)],
            capture_output=True, text=True, encoding="utf-8",
        )
        if result.returncode != 0:
            raise SystemExit(f"xgettext failed:\n{result.stderr}")
        pot = polib.pofile(result.stdout)
    for entry in pot:
        # Location of a templatized file: show the template, not its .py shadow.
        entry.occurrences = [(re.sub(r"\.(html|txt)\.py$", r".\1", f), line)
                             for f, line in entry.occurrences]
        # xgettext guesses c-format from '%' in the Python source; Django strings are
        # python-format (or brace), not C.
        entry.flags = [f for f in entry.flags if f not in {"c-format", "no-c-format"}]
    return pot


def django_zh_translations() -> dict[tuple[str | None, str], polib.POEntry]:
    """(msgctxt, msgid) → Django's own zh_Hans entry, for every translated string Django ships."""
    found: dict[tuple[str | None, str], polib.POEntry] = {}
    django_dir = site_packages() / "django"
    for path in sorted(django_dir.rglob("locale/zh_Hans/LC_MESSAGES/django.po")):
        for entry in polib.pofile(str(path)):
            if entry.obsolete or "fuzzy" in entry.flags or not entry.translated():
                continue
            found.setdefault((entry.msgctxt, entry.msgid), entry)
    return found


def package_zh_translations() -> dict[tuple[str | None, str], polib.POEntry]:
    """(msgctxt, msgid) → the THIRD_PARTY packages' own translated zh_Hans entries (entry.package set)."""
    found: dict[tuple[str | None, str], polib.POEntry] = {}
    for package in THIRD_PARTY:
        for path in sorted((site_packages() / package).glob("locale/zh_Hans/LC_MESSAGES/django.po")):
            for entry in polib.pofile(str(path)):
                if entry.obsolete or "fuzzy" in entry.flags or not entry.translated():
                    continue
                entry.package = package
                found.setdefault((entry.msgctxt, entry.msgid), entry)
    return found


def _copy_translation(target: polib.POEntry, source: polib.POEntry) -> None:
    if target.msgid_plural:
        if source.msgid_plural:
            target.msgstr_plural = {0: source.msgstr_plural.get(0, "")}
        else:
            target.msgstr_plural = {0: source.msgstr}
    else:
        target.msgstr = source.msgstr if not source.msgid_plural else source.msgstr_plural.get(0, "")


def _edges(text: str) -> tuple[str, str]:
    match = re.match(r"^(\s*).*?(\s*)$", text, re.S)
    return match.group(1), match.group(2)


def match_edge_whitespace(entry: polib.POEntry) -> None:
    """Give a translation the leading/trailing whitespace of its msgid (msgfmt --check demands the
    same leading and trailing newlines; {% blocktranslate %} without `trimmed` makes many)."""

    def fix(msgid: str, msgstr: str) -> str:
        if not msgstr:
            return msgstr
        head, tail = _edges(msgid)
        return head + msgstr.strip() + tail

    if entry.msgid_plural:
        entry.msgstr_plural = {k: fix(entry.msgid, v) for k, v in entry.msgstr_plural.items()}
    else:
        entry.msgstr = fix(entry.msgid, entry.msgstr)


def _stable_header(po: polib.POFile, old: polib.POFile | None, fields: dict) -> None:
    """Set the header fields, keeping PO-Revision-Date from the previous file so that a re-run
    without changes leaves the file byte-identical."""
    po.metadata.update(fields)
    previous = {k: v for k, v in (old.metadata if old is not None else {}).items()
                if "YEAR-" not in v and "FULL NAME" not in v}
    po.metadata["PO-Revision-Date"] = previous.get("PO-Revision-Date") or datetime.now(UTC).strftime(
        "%Y-%m-%d %H:%M+0000")
    po.metadata["Last-Translator"] = previous.get("Last-Translator") or "IOU Desk"


def refresh_zh_hans() -> polib.POFile:
    pot = extract_third_party()
    old = polib.pofile(str(ZH_PO)) if ZH_PO.exists() else None
    old_by_key = {}
    if old is not None:
        for entry in old:
            if entry.translated() and "fuzzy" not in entry.flags:
                old_by_key[(entry.msgctxt, entry.msgid)] = entry
    django_zh = django_zh_translations()

    po = polib.POFile(wrapwidth=0)
    _stable_header(po, old, ZH_HEADER)
    po.header = (
        "Simplified Chinese translation of the third-party packages of IOU Desk\n"
        "(django-unfold, django-axes, django-tasks, django-tasks-db, django-otp).\n"
        "Generated and merged by scripts/i18n_refresh.py: edit msgstr here, then re-run it."
    )
    kept = from_django = 0
    for entry in pot:
        new = polib.POEntry(
            msgid=entry.msgid, msgctxt=entry.msgctxt, msgid_plural=entry.msgid_plural,
            occurrences=entry.occurrences, flags=list(entry.flags), comment=entry.comment,
        )
        if entry.msgid_plural:
            new.msgstr_plural = {0: ""}
        key = (entry.msgctxt, entry.msgid)
        if key in old_by_key:
            _copy_translation(new, old_by_key[key])
            kept += 1
        elif key in django_zh:
            _copy_translation(new, django_zh[key])
            from_django += 1
        match_edge_whitespace(new)
        po.append(new)
    # A package's own zh_Hans catalogue may translate a Django msgid its code never uses (django-
    # simple-captcha: "This field is required." → 这个字段是必须的); installed apps' catalogues
    # take precedence over Django's, so without an entry here every form would say the package's
    # words. Such entries get Django's wording.
    overridden = 0
    seen = {(e.msgctxt, e.msgid) for e in po}
    for key, theirs in package_zh_translations().items():
        ours = django_zh.get(key)
        if key in seen or ours is None or theirs.msgstr == ours.msgstr:
            continue
        new = polib.POEntry(msgid=ours.msgid, msgctxt=ours.msgctxt, msgid_plural=ours.msgid_plural,
                            flags=[f for f in ours.flags if f != "fuzzy"],
                            comment=f"{theirs.package}'s zh_Hans says: {theirs.msgstr}; Django's wording wins")
        if ours.msgid_plural:
            new.msgstr_plural = {0: ""}
        _copy_translation(new, ours)
        match_edge_whitespace(new)
        po.append(new)
        seen.add(key)
        overridden += 1
    ZH_PO.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(ZH_PO))
    log(f"zh_Hans: {len(po)} third-party entries ({kept} kept, {from_django} newly pre-filled "
        f"from Django's catalogue, {overridden} of Django's strings the packages' own catalogues reword)")
    return po


# --- project strings (English) --------------------------------------------------------------


def refresh_en() -> polib.POFile:
    from django.core.management.commands import makemessages

    class MakeMessages(makemessages.Command):
        # Exact matches only: no fuzzy guesses (see module docstring).
        msgmerge_options = makemessages.Command.msgmerge_options + ["--no-fuzzy-matching"]
        # Modules that format strings at once import gettext under a short alias (_g, _t): the
        # aliases are keywords too, or their strings never reach the catalogue.
        xgettext_options = makemessages.Command.xgettext_options + [
            f"--keyword={alias}" for alias in GETTEXT_ALIASES]

    previous = polib.pofile(str(EN_PO)) if EN_PO.exists() else None
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        from django.core.management import call_command

        call_command(
            MakeMessages(), locale=["en"], domain="django", ignore_patterns=PROJECT_IGNORE,
            verbosity=0, no_wrap=True,
        )
    finally:
        os.chdir(cwd)
    po = polib.pofile(str(EN_PO), wrapwidth=0)
    _stable_header(po, previous, EN_HEADER)
    po.metadata_is_fuzzy = False  # makemessages marks a new file's header fuzzy
    po.metadata.pop("POT-Creation-Date", None)  # changes on every run: noise in diffs
    po.header = (
        "English translation of IOU Desk's own strings (the msgids are Simplified Chinese).\n"
        "Generated and merged by scripts/i18n_refresh.py: edit msgstr here, then re-run it."
    )
    for entry in po:
        # In case an older run or a hand edit left one: a fuzzy entry is not used by Django.
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgctxt = entry.previous_msgid_plural = None
            entry.msgstr = ""
            if entry.msgid_plural:
                entry.msgstr_plural = {k: "" for k in entry.msgstr_plural}
        match_edge_whitespace(entry)
    po.save(str(EN_PO))
    active = [e for e in po if not e.obsolete]
    log(f"en: {len(active)} project entries ({len(po) - len(active)} obsolete kept)")
    return po


# --- checks -------------------------------------------------------------------------------------


def untranslated(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]


def compile_and_check() -> bool:
    from ioudesk.core.catalogues import compile_all

    for path in compile_all(force=True):
        log(f"compiled {path.relative_to(ROOT)}")
    ok = True
    if shutil.which("msgfmt"):
        for po_path in (ZH_PO, EN_PO):
            if po_path.exists():
                result = subprocess.run(
                    ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(po_path)],
                    capture_output=True, text=True,
                )
                log(f"msgfmt --check {po_path.relative_to(ROOT)}: {result.stderr.strip()}")
                ok = ok and result.returncode == 0
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 when an entry is untranslated or fuzzy")
    parser.add_argument("--only", choices=["zh_Hans", "en"], help="refresh one catalogue only")
    parser.add_argument("--no-compile", action="store_true", help="do not compile the .mo files")
    args = parser.parse_args(argv)

    setup_django()
    catalogues = {}
    if args.only in (None, "zh_Hans"):
        catalogues["zh_Hans"] = refresh_zh_hans()
    if args.only in (None, "en"):
        catalogues["en"] = refresh_en()

    missing = 0
    for language, po in catalogues.items():
        todo = untranslated(po)
        missing += len(todo)
        if todo:
            log(f"{language}: {len(todo)} untranslated:")
            for entry in todo:
                where = entry.occurrences[0][0] if entry.occurrences else "?"
                ctx = f"[{entry.msgctxt}] " if entry.msgctxt else ""
                log(f"  {ctx}{entry.msgid!r}  ({where})")
        else:
            log(f"{language}: all {len(po.translated_entries())} entries translated")
    ok = True
    if not args.no_compile:
        ok = compile_and_check()
    return 1 if (args.check and missing) or not ok else 0


if __name__ == "__main__":
    sys.exit(main())
