"""Keeping an upload between the dry run and the confirmation."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ioudesk.core import crypto
from ioudesk.core.errors import NotFound
from ioudesk.customers.excel.columns import STAGED_HOURS, TOKEN_RE
from ioudesk.customers.excel.importing import _require_import_permission

# --- keeping the upload between the dry run and the confirmation ------------------------------


@dataclass(frozen=True)
class StagedFile:
    token: str
    name: str
    data: bytes


def _staging_dir() -> Path:
    directory = Path(settings.DATA_DIR) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _staged_path(user, token: str) -> Path:
    if not TOKEN_RE.match(token or ""):
        raise NotFound(_("导入文件不存在或已过期，请重新上传。"))
    return _staging_dir() / f"{int(user.pk)}-{token}.bin"


def import_stage(*, user, name: str, data: bytes) -> str:
    """Keep an uploaded file (encrypted: it holds personal data) for its confirmation; returns
    the token that names it.  Files older than STAGED_HOURS are swept on the way."""
    _require_import_permission(user)
    cutoff = time.time() - STAGED_HOURS * 3600
    for old in _staging_dir().glob("*.bin"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    payload = json.dumps({"name": name[:200], "data": base64.b64encode(data).decode("ascii")})
    _staged_path(user, token).write_text(crypto.encrypt(payload), encoding="ascii")
    return token


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
        if taken.stat().st_mtime < time.time() - STAGED_HOURS * 3600:
            raise NotFound(_("导入文件不存在、已导入或已过期，请重新上传。"))
        payload = json.loads(crypto.decrypt(taken.read_text(encoding="ascii")))
    finally:
        taken.unlink(missing_ok=True)
    return StagedFile(token, payload["name"], base64.b64decode(payload["data"]))
