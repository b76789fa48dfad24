"""Keeping an upload between the dry run and the confirmation: first the file as sent (when the
dry run happens in the background), then the rows the dry run read from it, so the confirmation
checks the same rows again without reading the .xlsx a second time."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ioudesk.core import crypto
from ioudesk.core.errors import NotFound
from ioudesk.customers.excel.columns import STAGED_HOURS, TOKEN_RE
from ioudesk.customers.excel.importing import ParsedFile, _require_import_permission

# --- keeping the upload between the dry run and the confirmation ------------------------------


@dataclass(frozen=True)
class StagedFile:
    token: str
    name: str
    data: bytes | None  # the upload as sent, until it has been read
    parsed: ParsedFile | None = None  # the rows as read by the dry run (the confirmation reuses them)


def _staging_dir() -> Path:
    directory = Path(settings.DATA_DIR) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _staged_path(user, token: str) -> Path:
    if not TOKEN_RE.match(token or ""):
        raise NotFound(_("导入文件不存在或已过期，请重新上传。"))
    return _staging_dir() / f"{int(user.pk)}-{token}.bin"


def _cell(value):
    if isinstance(value, datetime):
        return ["dt", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    return value


def _uncell(value):
    if isinstance(value, list):
        kind, text = value
        return datetime.fromisoformat(text) if kind == "dt" else date.fromisoformat(text)
    return value


def import_stage(*, user, name: str, data: bytes | None = None, parsed: ParsedFile | None = None,
                 token: str | None = None) -> str:
    """Keep an uploaded file, or the rows read from it, (encrypted: they hold personal data) for
    the dry run in the background or the confirmation; returns the token that names it (a new one,
    or ``token`` to replace what it names). Files older than STAGED_HOURS are swept on the way."""
    _require_import_permission(user)
    cutoff = time.time() - STAGED_HOURS * 3600
    for old in _staging_dir().glob("*.bin"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = token or secrets.token_hex(16)
    payload = {"name": name[:200], "data": base64.b64encode(data).decode("ascii") if data is not None else None}
    if parsed is not None:
        payload["parsed"] = {"columns": parsed.columns, "ignored": parsed.ignored,
                             "rows": [[number, [_cell(v) for v in values]] for number, values in parsed.rows]}
    path = _staged_path(user, token)
    partial = path.with_name(f"{path.stem}.{secrets.token_hex(4)}.partial")
    partial.write_text(crypto.encrypt(json.dumps(payload, ensure_ascii=False)), encoding="ascii")
    partial.replace(path)  # atomic: a reader sees the old payload or the new one
    return token


def _load(path: Path) -> StagedFile:
    if path.stat().st_mtime < time.time() - STAGED_HOURS * 3600:
        raise NotFound(_("导入文件不存在、已导入或已过期，请重新上传。"))
    payload = json.loads(crypto.decrypt(path.read_text(encoding="ascii")))
    parsed = None
    if payload.get("parsed"):
        stored = payload["parsed"]
        parsed = ParsedFile(stored["columns"], stored["ignored"],
                            [(number, [_uncell(v) for v in values]) for number, values in stored["rows"]])
    data = base64.b64decode(payload["data"]) if payload.get("data") else None
    return StagedFile(path.stem.split("-", 1)[1], payload["name"], data, parsed)


def import_peek(*, user, token: str) -> StagedFile:
    """The staged file, left in place (the background dry run reads it, the confirmation takes it)."""
    path = _staged_path(user, token)
    try:
        return _load(path)
    except FileNotFoundError:
        raise NotFound(_("导入文件不存在、已导入或已过期，请重新上传。")) from None


def import_take(*, user, token: str) -> StagedFile:
    """The staged file, removed as it is taken: a double click or a reload of the confirmation
    finds nothing and cannot import the same file twice (the rename is atomic)."""
    path = _staged_path(user, token)
    taken = path.with_name(f"{path.stem}.{secrets.token_hex(4)}.taken")
    try:
        path.rename(taken)
    except FileNotFoundError:
        raise NotFound(_("导入文件不存在、已导入或已过期，请重新上传。")) from None
    try:
        staged = _load(taken)
    finally:
        taken.unlink(missing_ok=True)
    return StagedFile(token, staged.name, staged.data, staged.parsed)
