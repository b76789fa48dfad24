"""Bank statement import (银行流水导入): a file read by ``bankfiles``, kept, its lines de-duplicated,
the new ones turned into receipts and matched. docs/domain.md §26.

``statement_import(*, upload, account_code, branch, user, bank=None, mapping=None, job=None)``
does everything in one call. The interfaces use the two halves: ``statement_receive`` (checks,
parses — a file that cannot be read is refused and nothing is stored — keeps the file in the
private storage with its SHA-256 and opens the ``BankStatement``) and ``statement_lines_import``
(the lines); a file of more than ``background_lines()`` lines is handed to the worker
(``tasks.statement_import_task`` → ``statement_import_run``) with a job whose progress the page
shows.

De-duplication: each line's ``line_hash`` is the SHA-256 of our account (the number the file
names, else the funding account), the day and time, the direction, the amount in fen, the other
party's name and account (spaces and width removed), the memo, the bank's serial, and the
line's occurrence among identical lines of the same file (two equal ¥500 transfers on one day
without a serial or time are two lines). ``StatementLine.line_hash`` is unique: a line already
imported — from the same file or from another whose period overlaps — is counted as a duplicate
and imports nothing. The lines go in chunks of ``CHUNK``, each chunk's receipts right after it,
so an import cut short (the worker stopped) is resumed by importing the file again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc import money
from ioudesk.core import audit, clock, crypto, scope
from ioudesk.core.context import acting_as, actor_for_user
from ioudesk.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.numbering import next_number
from ioudesk.core.storage import private_storage
from ioudesk.jobs import services as jobs
from ioudesk.jobs.models import Job
from ioudesk.receivables import bankfiles, numbers
from ioudesk.receivables.bankfiles.base import norm_text
from ioudesk.receivables.bankfiles.mapping import mapping_check
from ioudesk.receivables.matching import match_receipts
from ioudesk.receivables.models import (
    Bank,
    BankStatement,
    Channel,
    ColumnMapping,
    Direction,
    ImportStatus,
    Receipt,
    ReceiptStatus,
    StatementLine,
)
from ioudesk.receivables.receipts import ReceiptRow, funding_account_check, receipts_create_bulk

log = logging.getLogger(__name__)

PERMISSION = "receivables.import_bankstatement"
JOB_KIND = "statement_import"
BACKGROUND_LINES = 500
CHUNK = 2000
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
EXTENSIONS = (".xlsx", ".csv", ".txt")
LOOKUP_BATCH = 500




def background_lines() -> int:
    """Files of more lines than this are imported by the worker."""
    return int(getattr(settings, "IOUDESK_STATEMENT_BACKGROUND_LINES", None) or BACKGROUND_LINES)


def _require(user) -> None:
    if not (user and user.is_authenticated and user.has_perm(PERMISSION)):
        raise PermissionDenied(_("您没有导入银行流水的权限，请联系系统管理员开通“银行流水导入”权限。"))


# --- the line hash --------------------------------------------------------------------------------

def line_key(line: bankfiles.ParsedLine, *, account_key: str) -> str:
    when = line.booked_at.strftime("%H:%M:%S") if line.booked_at else ""
    parts = (account_key, line.day.isoformat(), when, line.direction, str(money.to_fen(line.amount)),
             norm_text(line.name), norm_text(line.account), norm_text(line.memo), norm_text(line.reference))
    return "\x1f".join(parts)


def line_hashes(lines: list[bankfiles.ParsedLine], *, account_key: str) -> list[str]:
    """One hash per line, the n-th of identical lines told apart by n."""
    seen: dict[str, int] = {}
    hashes = []
    for line in lines:
        key = line_key(line, account_key=account_key)
        seen[key] = seen.get(key, 0) + 1
        hashes.append(hashlib.sha256(f"{key}\x1f{seen[key]}".encode()).hexdigest())
    return hashes


def account_key(*, account_number: str, account_code: str) -> str:
    number = norm_text(account_number)
    return f"no:{number}" if number else f"code:{account_code}"


# --- checks ---------------------------------------------------------------------------------------

def _read_upload(upload) -> tuple[bytes, str]:
    if upload is None:
        raise ValidationFailed(_("请选择要导入的流水文件（.xlsx 或 .csv）。"), code="file_missing", extra={"field": "file"})
    name = os.path.basename((getattr(upload, "name", "") or "").replace("\\", "/"))[:200] or "statement.csv"
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(_("文件超过 50 MB 的上限，请按月分开导出后分别导入。"), code="file_too_large",
                               extra={"field": "file"})
    extension = os.path.splitext(name)[1].lower()
    if extension and extension not in EXTENSIONS + (".xls",):
        raise ValidationFailed(_("只能导入 .xlsx 或 .csv 文件（本文件是 %(ext)s）。") % {"ext": extension},
                               code="file_type_not_allowed", extra={"field": "file"})
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read() if hasattr(upload, "read") else bytes(upload)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(_("文件超过 50 MB 的上限，请按月分开导出后分别导入。"), code="file_too_large",
                               extra={"field": "file"})
    return data, name


def _check(*, account_code: str, branch, user, bank, mapping) -> str:
    _require(user)
    if not user.has_perm("receivables.add_receipt"):
        raise PermissionDenied(_("导入的流水会生成收付款单：您还需要“收付款：新增”权限，请联系系统管理员。"))
    if branch is None:
        raise ValidationFailed(_("请选择流水所属的网点。"), extra={"field": "branch"})
    if not scope.can_see_branch(user, branch.pk):
        raise PermissionDenied(_("只能为本网点（及下级网点）导入银行流水。"))
    account_code = funding_account_check(account_code)
    if bank and bank not in Bank.values:
        raise ValidationFailed(_("请选择银行或渠道。"), extra={"field": "bank"})
    if bank == Bank.MAPPED and mapping is None:
        raise ValidationFailed(_("请选择或新建一个列对应。"), code="mapping_required", extra={"field": "mapping"})
    return account_code


@dataclass(frozen=True)
class Received:
    statement: BankStatement
    parsed: bankfiles.ParsedStatement

    @property
    def background(self) -> bool:
        return len(self.parsed.lines) > background_lines()


def statement_receive(*, upload, account_code: str, branch, user, bank: str | None = None,
                      mapping: ColumnMapping | None = None) -> Received:
    """Check and read the file, keep it, open its batch. A file that cannot be read (unknown
    layout, bad rows, wrong bank) is refused before anything is stored."""
    account_code = _check(account_code=account_code, branch=branch, user=user, bank=bank, mapping=mapping)
    data, name = _read_upload(upload)
    parsed = bankfiles.parse(data, filename=name, bank=None if bank == Bank.MAPPED else (bank or None),
                             mapping=mapping)
    if not parsed.lines:
        raise ValidationFailed(_("文件中没有可导入的流水（表头下没有收支记录）。"), code="statement_empty",
                               extra={"field": "file"})
    sha256 = hashlib.sha256(data).hexdigest()
    extension = os.path.splitext(name)[1].lower() or ".csv"
    storage = private_storage()
    stored = storage.save(f"receivables/statements/{clock.today():%Y/%m}/{uuid.uuid4().hex}{extension}",
                          ContentFile(data))
    digits = "".join(ch for ch in parsed.account_number if ch.isdigit())
    try:
        with transaction.atomic():
            statement = BankStatement(
                number=next_number(prefix=numbers.BANK_STATEMENT), bank=parsed.bank, account_code=account_code,
                account_number_last4=digits[-4:], branch=branch, original_name=name, sha256=sha256,
                mapping=mapping, period_from=parsed.period_from, period_to=parsed.period_to,
                status=ImportStatus.RUNNING, lines_total=len(parsed.lines), uploaded_by=user)
            statement.file.name = stored
            statement.save()
            audit.record(AuditAction.CREATE, obj=statement, verb=_g("导入银行流水"), branch_id=branch.pk, changes={
                "original_name": [None, name], "sha256": [None, sha256], "bank": [None, parsed.bank],
                "account_code": [None, account_code], "lines_total": [None, len(parsed.lines)]})
    except BaseException:
        storage.delete(stored)
        raise
    return Received(statement, parsed)


# --- the lines ------------------------------------------------------------------------------------

def _existing(hashes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(hashes), LOOKUP_BATCH):
        found.update(StatementLine.objects.filter(line_hash__in=hashes[start:start + LOOKUP_BATCH])
                     .values_list("line_hash", flat=True))
    return found


def _channel(bank: str) -> str:
    return {Bank.ALIPAY: Channel.ALIPAY, Bank.WECHAT: Channel.WECHAT}.get(bank, Channel.BANK)


def statement_lines_import(*, statement: BankStatement, parsed: bankfiles.ParsedStatement, user,
                           job: Job | None = None) -> BankStatement:
    """The new lines of the batch saved, their receipts made and matched; counts on the batch."""
    _require(user)
    key = account_key(account_number=parsed.account_number, account_code=statement.account_code)
    hashes = line_hashes(parsed.lines, account_key=key)
    existing = _existing(hashes)
    today = clock.today()
    fresh = [(line, digest) for line, digest in zip(parsed.lines, hashes, strict=True)
             if digest not in existing and line.day <= today]
    later = [line for line, digest in zip(parsed.lines, hashes, strict=True) if digest not in existing and line.day > today]
    duplicate = len(parsed.lines) - len(fresh) - len(later)
    note = ""
    if later:  # a receipt is not dated after the business date: these wait for a later import of the file
        note = _g("%(n)s 笔流水的交易日期晚于营业日 %(today)s（第%(rows)s行），本次未导入；营业日到达后再导入同一文件即可，"
                  "已导入的流水不会重复。") % {"n": len(later), "today": today.isoformat(),
                                       "rows": "、".join(str(line.row) for line in later[:10]) + ("…" if len(later) > 10 else "")}
    if job is not None:
        jobs.job_start(job, phase=_g("正在保存流水"), total=max(len(fresh), 1))
    channel = _channel(statement.bank)
    receipt_ids: list[int] = []
    saved = 0
    for start in range(0, len(fresh), CHUNK):
        chunk = fresh[start:start + CHUNK]
        with transaction.atomic():
            StatementLine.objects.bulk_create([
                StatementLine(statement=statement, line_hash=digest, row_number=line.row, day=line.day,
                              booked_at=_aware(line.booked_at), direction=line.direction, amount=line.amount,
                              balance=line.balance, counterparty_name=line.name, counterparty_account=line.account,
                              counterparty_bank=line.bank, memo=line.memo, bank_reference=line.reference,
                              raw=line.raw)
                for line, digest in chunk], batch_size=500, ignore_conflicts=True)
        ids = dict(StatementLine.objects.filter(statement=statement, line_hash__in=[d for _l, d in chunk])
                   .values_list("line_hash", "id"))
        duplicate += len(chunk) - len(ids)  # taken by an import running at the same time
        rows = [ReceiptRow(direction=line.direction, day=line.day, amount=line.amount, channel=channel,
                           payer_name=line.name, payer_account=line.account, payer_bank=line.bank, memo=line.memo,
                           reference=line.reference, statement_line_id=ids[digest])
                for line, digest in chunk if digest in ids]
        try:
            receipt_ids += receipts_create_bulk(rows, branch=statement.branch, account_code=statement.account_code,
                                                user=user)
        except BaseException:
            # no line without its receipt: the chunk's lines go again, so importing the file again retries them
            StatementLine.objects.filter(pk__in=list(ids.values()), receipt__isnull=True).delete()
            raise
        saved += len(rows)
        BankStatement.objects.filter(pk=statement.pk).update(lines_new=saved, lines_duplicate=duplicate)
        if job is not None:
            jobs.job_progress(job, min(start + CHUNK, len(fresh)))
    matched = 0
    if receipt_ids and user.has_perm("receivables.match_receipt"):
        if job is not None:
            jobs.job_progress(job, 0, total=len(receipt_ids), phase=_g("正在自动核销"))
        summary = match_receipts(receipt_ids, user=user, job=job)
        matched = summary.matched
    statement.lines_new, statement.lines_duplicate, statement.lines_matched = saved, duplicate, matched
    statement.status = ImportStatus.DONE
    statement.error = note
    BankStatement.objects.filter(pk=statement.pk).update(
        lines_new=saved, lines_duplicate=duplicate, lines_matched=matched, status=ImportStatus.DONE, error=note)
    audit.record(AuditAction.ACTION, obj=statement, verb=_g("银行流水入账"), branch_id=statement.branch_id, changes={
        "lines_new": [None, saved], "lines_duplicate": [None, duplicate], "lines_matched": [None, matched]})
    if job is not None:
        jobs.job_finish(job, result=statement_summary(statement))
    return statement


def _aware(value):
    if value is None:
        return None
    from django.utils import timezone

    return timezone.make_aware(value) if settings.USE_TZ and timezone.is_naive(value) else value


def statement_import(*, upload, account_code: str, branch, user, bank: str | None = None,
                     mapping: ColumnMapping | None = None, job: Job | None = None) -> BankStatement:
    """Read, keep and import a statement file in one call (the lines in this process)."""
    received = statement_receive(upload=upload, account_code=account_code, branch=branch, user=user, bank=bank,
                                 mapping=mapping)
    return _import_or_fail(received.statement, received.parsed, user=user, job=job)


def _import_or_fail(statement, parsed, *, user, job=None) -> BankStatement:
    try:
        return statement_lines_import(statement=statement, parsed=parsed, user=user, job=job)
    except ApplicationError as error:
        _failed(statement, str(error.message), job)
        raise
    except Exception:
        log.exception("statement import %s failed", statement.pk)
        _failed(statement, _g("导入中断：系统出错。已导入的流水保留，再次导入同一文件会接着导入其余的流水。"), job)
        raise


def _failed(statement: BankStatement, message: str, job) -> None:
    statement.status, statement.error = ImportStatus.FAILED, message[:2000]
    BankStatement.objects.filter(pk=statement.pk).update(status=ImportStatus.FAILED, error=message[:2000])
    if job is not None:
        jobs.job_fail(job, message=message)


# --- in the background ----------------------------------------------------------------------------

def statement_import_start(*, upload, account_code: str, branch, user, bank: str | None = None,
                           mapping: ColumnMapping | None = None) -> BankStatement:
    """What the page and the API call: a small file is imported at once; a large one gets a job
    (``statement.job``) and the caller enqueues ``tasks.statement_import_task`` once the
    transaction commits (``tasks.statement_enqueue``)."""
    received = statement_receive(upload=upload, account_code=account_code, branch=branch, user=user, bank=bank,
                                 mapping=mapping)
    statement = received.statement
    if not received.background:
        return _import_or_fail(statement, received.parsed, user=user)
    job = jobs.job_create(kind=JOB_KIND, user=user, title=statement.original_name,
                          params={"statement": statement.pk}, total=len(received.parsed.lines))
    statement.job = job
    BankStatement.objects.filter(pk=statement.pk).update(job=job)
    return statement


def statement_import_run(*, job_id: int) -> None:
    """The worker's part: read the kept file again (the same layout), import its lines."""
    job = Job.objects.select_related("user").get(pk=job_id)
    if job.finished:
        return  # a task delivered twice does the work once
    statement = BankStatement.objects.select_related("branch", "mapping").get(pk=job.params["statement"])
    user = job.user
    with acting_as(actor_for_user(user)):
        try:
            jobs.job_start(job, phase=_g("正在读取文件"))
            with private_storage().open(statement.file.name, "rb") as handle:
                data = handle.read()
            parsed = bankfiles.parse(data, filename=statement.original_name,
                                     bank=None if statement.mapping_id else statement.bank, mapping=statement.mapping)
        except ApplicationError as error:
            _failed(statement, str(error.message), job)
            return
        except Exception:
            log.exception("statement import %s failed", statement.pk)
            _failed(statement, _g("导入中断：流水文件无法读取，请重新上传。"), job)
            raise
        try:
            _import_or_fail(statement, parsed, user=user, job=job)
        except ApplicationError:
            return


# --- reading --------------------------------------------------------------------------------------

def statement_summary(statement: BankStatement) -> dict:
    incoming = statement.lines_new
    percent = money.round_places(Decimal(statement.lines_matched * 100) / incoming, 1) if incoming else None
    return {"statement": statement.pk, "number": statement.number, "lines": statement.lines_total,
            "new": statement.lines_new, "duplicate": statement.lines_duplicate, "matched": statement.lines_matched,
            "percent": str(percent) if percent is not None else None}


def matched_percent(statement: BankStatement):
    """自动核销率: lines matched automatically out of the new lines of the batch (None before any)."""
    if not statement.lines_new:
        return None
    return money.round_places(Decimal(statement.lines_matched * 100) / statement.lines_new, 1)


def statements_for(user):
    return scope.scope_queryset(user, BankStatement.objects.select_related("branch", "uploaded_by", "job"))


def statement_get(*, user, pk) -> BankStatement:
    if not user.has_perm("receivables.view_bankstatement"):
        raise PermissionDenied(_("您没有查看银行流水导入的权限。"))
    statement = statements_for(user).filter(pk=pk).first()
    if statement is None:
        raise NotFound(_("流水导入批次不存在，或不在您的数据范围内。"))
    return statement


def statement_lines(statement: BankStatement):
    """The batch's lines with their receipt (and its match status)."""
    return (StatementLine.objects.filter(statement=statement).select_related("receipt", "receipt__customer")
            .order_by("row_number"))


def statement_counts(statement: BankStatement) -> dict:
    """How the batch's receipts stand now (a person may have matched more since the import)."""
    receipts = Receipt.objects.filter(statement_line__statement=statement)
    counts = {status: 0 for status in ReceiptStatus.values}
    for status in receipts.values_list("status", flat=True):
        counts[status] += 1
    counts["in"] = receipts.filter(direction=Direction.RECEIVABLE).count()
    counts["out"] = receipts.filter(direction=Direction.PAYABLE).count()
    return counts


# --- column mappings ------------------------------------------------------------------------------

@transaction.atomic
def column_mapping_save(*, name: str, columns: dict, user, header_row: int = 1, date_format: str = "",
                        mapping: ColumnMapping | None = None) -> ColumnMapping:
    """Save a column mapping by name (a new one, or ``mapping`` changed); checked as an import
    would use it."""
    _require(user)
    name = (name or "").strip()[:60]
    if not name:
        raise ValidationFailed(_("请为列对应起一个名称（如银行名称），下次导入同一银行的流水时直接选用。"),
                               extra={"field": "mapping_name"})
    cleaned = mapping_check(columns)
    clash = ColumnMapping.objects.filter(name=name)
    if mapping is not None:
        clash = clash.exclude(pk=mapping.pk)
    if clash.exists():
        raise ValidationFailed(_("已有名为“%(name)s”的列对应，请换一个名称或直接选用它。") % {"name": name},
                               extra={"field": "mapping_name"})
    before = audit.snapshot(mapping) if mapping is not None else None
    mapping = mapping or ColumnMapping(created_by=user)
    mapping.name, mapping.columns, mapping.header_row = name, cleaned, max(1, int(header_row or 1))
    mapping.date_format = (date_format or "").strip()[:20]
    mapping.save()
    after = audit.snapshot(mapping)
    if before is None:
        audit.record(AuditAction.CREATE, obj=mapping, verb=_g("新建流水列对应"), branch_id=user.branch_id,
                     changes={k: [None, v] for k, v in after.items()})
    else:
        audit.record(AuditAction.UPDATE, obj=mapping, verb=_g("修改流水列对应"), branch_id=user.branch_id,
                     changes=audit.diff(before, after))
    return mapping


@transaction.atomic
def column_mapping_delete(*, mapping: ColumnMapping, user) -> None:
    """Remove a saved mapping (batches imported with it keep their lines; they no longer name it)."""
    _require(user)
    before, pk = audit.snapshot(mapping), mapping.pk
    mapping.delete()
    mapping.pk = pk
    audit.record(AuditAction.DELETE, obj=mapping, verb=_g("删除流水列对应"), branch_id=user.branch_id,
                 changes={k: [v, None] for k, v in before.items()})


# --- an upload kept while its columns are mapped --------------------------------------------------

STAGED_HOURS = 6
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


def _staging_path(user, token: str) -> Path:
    if not _TOKEN_RE.match(token or ""):
        raise NotFound(_("上传的流水文件已过期，请重新上传。"))
    directory = Path(settings.DATA_DIR) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"statement-{int(user.pk)}-{token}.bin"


def statement_stage(*, user, name: str, data: bytes) -> str:
    """Keep an upload (encrypted: it holds account numbers) while the user maps its columns; the
    token names it, the user's id is part of the file name, so only they can use it."""
    _require(user)
    cutoff = time.time() - STAGED_HOURS * 3600
    for old in _staging_path(user, "0" * 32).parent.glob("statement-*.bin"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    payload = json.dumps({"name": name[:200], "data": base64.b64encode(data).decode("ascii")})
    _staging_path(user, token).write_text(crypto.encrypt(payload), encoding="ascii")
    return token


def statement_staged(*, user, token: str) -> tuple[str, bytes]:
    _require(user)
    path = _staging_path(user, token)
    try:
        payload = json.loads(crypto.decrypt(path.read_text(encoding="ascii")))
    except FileNotFoundError:
        raise NotFound(_("上传的流水文件已过期，请重新上传。")) from None
    return payload["name"], base64.b64decode(payload["data"])


def statement_unstage(*, user, token: str) -> None:
    try:
        _staging_path(user, token).unlink(missing_ok=True)
    except NotFound:
        pass
