"""The evidence package (证据包) of one IOU, for a lawyer or a court: a .zip with

* ``01-借据/``: the 借条/欠条 PDF (the signed terms), each 展期协议, and the papers kept with the IOU
  (the scanned original, ``CustomerFile`` kind 借条/欠条原件, and any other file filed under it);
* ``02-还款计划/还款计划.pdf``: every schedule version, the current one first;
* ``03-还款记录/``: the list of money events (还款记录.pdf) and the 还款凭证 of every repayment and
  recovery that stands;
* ``04-催收记录/``: the list of contact records (催收记录.pdf: append-only, a correction is a new record
  pointing to the old) and, in one folder per record, its attachments (recordings, photos, signed
  acknowledgements, delivery receipts, the letters sent) as they were uploaded;
* ``05-诉讼时效/诉讼时效.pdf``: the limitation date with its reasoning and every interruption on record
  (``ious.LimitationEvent``, with the SHA-256 of its evidence and where that file is in the package);
* ``06-时间线.pdf``: every event above in date order;
* ``manifest.json``: what the package is (IOU, debtor, when and by whom it was made) and, per file,
  its path, size, SHA-256 and what it is; a stored attachment also carries the SHA-256 recorded when
  it was uploaded (``recorded_sha256``), so a file changed in storage since shows;
* ``manifest.sha256``: the SHA-256 of manifest.json (in ``sha256sum`` form), also written into the
  audit trail's download event: a package whose manifest was rewritten to match a changed file
  no longer matches the office's record.

``ioudesk evidence verify FILE.zip`` (:func:`verify_package`; a folder the package was unzipped into
works too) recomputes every hash and reports in Chinese: intact, or each file changed, missing or
extra. It needs no database.

Who may download (:func:`can_download_evidence`): ``legal.view_evidence_package`` and
``ious.view_iou``, the IOU in the user's branches, and, when the IOU has collection cases, one the
user can see (a collector: their own); without a case, those who see their branches' cases.
Every download is one audit event on the IOU (the documents inside write their own).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO

from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import format_yuan
from ioudesk.collections.models import Case, ContactAttachment, ContactRecord, Promise
from ioudesk.collections.predicates import can_view_case, sees_branch_cases
from ioudesk.core import audit, clock, scope
from ioudesk.core.errors import InvalidState, NotFound, PermissionDenied
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.names import staff_label, staff_name
from ioudesk.core.services import organisation_current
from ioudesk.core.storage import private_storage
from ioudesk.customers.files import clean_original_name
from ioudesk.customers.models import CustomerFile, FileKind
from ioudesk.documents import pdf
from ioudesk.documents import services as documents
from ioudesk.documents.context import DocumentData, Table, extension_number, receipt_number
from ioudesk.ious.models import (
    Installment,
    Iou,
    LimitationEvent,
    ScheduleKind,
    ScheduleVersion,
    Status,
    Transaction,
    TransactionKind,
)
from ioudesk.ious.services.limitation import limitation_clock
from ioudesk.legal.models import LegalCase, LegalEvent

FORMAT = "ioudesk-evidence-package/1"
MANIFEST = "manifest.json"
MANIFEST_HASH = "manifest.sha256"
PERMISSION = "legal.view_evidence_package"
CHUNK = 1024 * 1024
#: Money events on the timeline and in 还款记录 (interest, penalty and fee postings are the book's own).
MONEY_KINDS = (TransactionKind.DISBURSEMENT, TransactionKind.ACTIVATION, TransactionKind.REPAYMENT,
               TransactionKind.REFUND, TransactionKind.WAIVER, TransactionKind.REVERSAL, TransactionKind.WRITE_OFF,
               TransactionKind.RECOVERY)
RECEIPT_KINDS = (TransactionKind.REPAYMENT, TransactionKind.RECOVERY)


# --- the archive: entries in, zip and manifest out (no database) ---------------------------------

class FileMissing(InvalidState):
    code = "evidence_file_missing"


@dataclass
class Entry:
    """One file of the package: its bytes, or a function that opens it (a stored file, streamed)."""

    path: str
    kind: str
    description: str
    content: bytes | None = None
    opener: Callable[[], IO[bytes]] | None = None
    recorded_sha256: str = ""

    def chunks(self) -> Iterator[bytes]:
        if self.content is not None:
            yield self.content
            return
        try:
            handle = self.opener()
        except FileNotFoundError as error:
            raise FileMissing(_("证据包中的文件“%(path)s”在存储中已丢失，无法打包：请联系系统管理员从备份恢复。") % {
                "path": self.path}) from error
        with handle:
            while chunk := handle.read(CHUNK):
                yield chunk


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_package(out: IO[bytes], entries: Iterable[Entry], meta: dict) -> tuple[dict, str]:
    """Write the zip to ``out``: every entry (hashed while it is written), then manifest.json and
    manifest.sha256. Returns the manifest and its SHA-256."""
    files = []
    seen: set[str] = set()
    stamp = timezone.localtime().timetuple()[:6]  # the time the package was made, not zip's 1980-01-01

    def info(name: str) -> zipfile.ZipInfo:
        row = zipfile.ZipInfo(name, date_time=stamp)
        row.compress_type = zipfile.ZIP_DEFLATED
        return row

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for entry in entries:
            path = _unique(entry.path, seen)
            digest, size = hashlib.sha256(), 0
            with archive.open(info(path), "w", force_zip64=True) as target:
                for chunk in entry.chunks():
                    digest.update(chunk)
                    size += len(chunk)
                    target.write(chunk)
            row = {"path": path, "size": size, "sha256": digest.hexdigest(), "kind": entry.kind,
                   "description": entry.description}
            if entry.recorded_sha256:
                row["recorded_sha256"] = entry.recorded_sha256
            files.append(row)
        manifest = {"format": FORMAT, **meta, "algorithm": "SHA-256", "files": files}
        text = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        manifest_sha = sha256_hex(text)
        archive.writestr(info(MANIFEST), text)
        archive.writestr(info(MANIFEST_HASH), f"{manifest_sha}  {MANIFEST}\n".encode())
    return manifest, manifest_sha


def _unique(path: str, seen: set[str]) -> str:
    """The same name twice (two uploads called 录音.m4a) gets -2, -3 … before its extension."""
    candidate, number = path, 1
    while candidate in seen:
        number += 1
        stem, extension = posixpath.splitext(path)
        candidate = f"{stem}-{number}{extension}"
    seen.add(candidate)
    return candidate


def safe_name(name: str, fallback: str = "文件") -> str:
    """A file name fit for one path segment inside the zip.

    >>> safe_name("../../etc/录音 1.m4a"), safe_name("a/b\\\\c.pdf"), safe_name("")
    ('录音 1.m4a', 'c.pdf', '文件')
    """
    return clean_original_name(name) or fallback


# --- verification (no database) -----------------------------------------------------------------

OK, CHANGED, MISSING, EXTRA, BROKEN = "ok", "changed", "missing", "extra", "broken"


@dataclass(frozen=True)
class Finding:
    status: str
    path: str
    message: str


@dataclass
class VerifyReport:
    source: str
    findings: list[Finding] = field(default_factory=list)
    manifest: dict | None = None
    manifest_sha256: str = ""

    @property
    def intact(self) -> bool:
        return self.manifest is not None and all(f.status == OK for f in self.findings)

    def count(self, status: str) -> int:
        return sum(1 for f in self.findings if f.status == status)

    def lines(self) -> list[str]:
        """The report in Chinese, one line per file and a verdict."""
        out = [_g("证据包：%(source)s") % {"source": self.source}]
        if self.manifest is not None:
            iou = self.manifest.get("iou") or {}
            out.append(_g("借据编号：%(number)s　债务人：%(debtor)s　生成时间：%(at)s　生成人：%(by)s") % {
                "number": iou.get("number", "—"), "debtor": iou.get("debtor", "—"),
                "at": self.manifest.get("generated_at", "—"), "by": self.manifest.get("generated_by", "—")})
        if self.manifest_sha256:
            out.append(_g("清单SHA-256：%(sha)s（可与系统审计记录中本次下载的记录核对）") % {"sha": self.manifest_sha256})
        labels = {OK: _g("一致"), CHANGED: _g("已被修改"), MISSING: _g("缺失"), EXTRA: _g("多出"), BROKEN: _g("错误")}
        for finding in self.findings:
            line = f"[{labels[finding.status]}] {finding.path}"
            out.append(f"{line}：{finding.message}" if finding.message else line)
        checked = sum(1 for f in self.findings if f.status in (OK, CHANGED, MISSING) and f.path != MANIFEST)
        if self.intact:
            out.append(_g("结论：完好。清单中的 %(n)d 个文件全部存在，SHA-256 全部一致，没有多出的文件。") % {"n": checked})
        else:
            out.append(_g("结论：不完整或已被改动（修改 %(changed)d 个，缺失 %(missing)d 个，多出 %(extra)d 个，"
                          "其他错误 %(broken)d 个）。") % {"changed": self.count(CHANGED), "missing": self.count(MISSING),
                                                    "extra": self.count(EXTRA), "broken": self.count(BROKEN)})
        return out


class _ZipSource:
    def __init__(self, path: Path):
        self.archive = zipfile.ZipFile(path)
        self.names = {info.filename for info in self.archive.infolist() if not info.is_dir()}

    def read_all(self, name: str) -> bytes:
        return self.archive.read(name)

    def digest(self, name: str) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        with self.archive.open(name) as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size

    def close(self):
        self.archive.close()


class _FolderSource:
    def __init__(self, path: Path):
        self.root = path
        self.names = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}

    def read_all(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def digest(self, name: str) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        with open(self.root / name, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size

    def close(self):
        pass


def _safe_path(name: str) -> bool:
    return bool(name) and not name.startswith("/") and "\\" not in name and ".." not in name.split("/")


def verify_package(path: str | os.PathLike) -> VerifyReport:
    """Check a package (the .zip, or the folder it was unzipped into) against its manifest."""
    path = Path(path)
    report = VerifyReport(source=path.name)
    if not path.exists():
        report.findings.append(Finding(BROKEN, str(path), _g("文件不存在")))
        return report
    try:
        source = _FolderSource(path) if path.is_dir() else _ZipSource(path)
    except (zipfile.BadZipFile, OSError) as error:
        report.findings.append(Finding(BROKEN, path.name, _g("不是有效的 .zip 文件（%(error)s）") % {"error": error}))
        return report
    try:
        _verify(source, report)
    finally:
        source.close()
    return report


def _verify(source, report: VerifyReport) -> None:
    if MANIFEST not in source.names:
        report.findings.append(Finding(BROKEN, MANIFEST, _g("缺少清单文件，无法校验")))
        return
    try:
        text = source.read_all(MANIFEST)
        manifest = json.loads(text.decode("utf-8"))
        files = manifest["files"]
    except (zipfile.BadZipFile, ValueError, KeyError, TypeError) as error:
        report.findings.append(Finding(BROKEN, MANIFEST, _g("清单无法读取（%(error)s）") % {"error": error}))
        return
    report.manifest = manifest
    report.manifest_sha256 = sha256_hex(text)
    if MANIFEST_HASH not in source.names:
        report.findings.append(Finding(MISSING, MANIFEST_HASH, _g("缺少清单的SHA-256文件")))
    else:
        recorded = source.read_all(MANIFEST_HASH).decode("utf-8", "replace").split()
        if not recorded or recorded[0].lower() != report.manifest_sha256:
            report.findings.append(Finding(CHANGED, MANIFEST, _g("清单已被修改：SHA-256 为 %(actual)s，与 %(file)s 记录的 "
                                                                "%(recorded)s 不符") % {
                "actual": report.manifest_sha256, "file": MANIFEST_HASH, "recorded": recorded[0] if recorded else "—"}))
        else:
            report.findings.append(Finding(OK, MANIFEST, ""))
    listed = set()
    for row in files:
        name = row.get("path", "") if isinstance(row, dict) else ""
        if not _safe_path(name):
            report.findings.append(Finding(BROKEN, str(name), _g("清单中的路径无效")))
            continue
        listed.add(name)
        if name not in source.names:
            report.findings.append(Finding(MISSING, name, _g("清单中有这个文件，包中没有")))
            continue
        try:
            actual, size = source.digest(name)
        except (zipfile.BadZipFile, OSError) as error:
            report.findings.append(Finding(CHANGED, name, _g("文件已损坏，无法读取（%(error)s）") % {"error": error}))
            continue
        expected = str(row.get("sha256", "")).lower()
        if actual != expected:
            report.findings.append(Finding(CHANGED, name, _g("SHA-256 应为 %(expected)s，实际为 %(actual)s") % {
                "expected": expected, "actual": actual}))
        elif row.get("size") is not None and size != row.get("size"):
            report.findings.append(Finding(CHANGED, name, _g("大小应为 %(expected)s 字节，实际为 %(actual)s 字节") % {
                "expected": row.get("size"), "actual": size}))
        else:
            note = ""
            if row.get("recorded_sha256") and row["recorded_sha256"].lower() != actual:
                note = _g("注意：与上传时登记的 SHA-256（%(recorded)s）不同，存储中的文件在打包前已被改动") % {
                    "recorded": row["recorded_sha256"]}
            report.findings.append(Finding(OK, name, note))
    for name in sorted(source.names - listed - {MANIFEST, MANIFEST_HASH}):
        report.findings.append(Finding(EXTRA, name, _g("清单中没有这个文件")))


# --- who may download ---------------------------------------------------------------------------

def can_download_evidence(iou: Iou, user) -> bool:
    """证据包: see the module docstring."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if not (user.has_perm(PERMISSION) and user.has_perm("ious.view_iou")):
        return False
    if not scope.can_see_branch(user, iou.branch_id):
        return False
    cases = list(Case.objects.filter(iou_id=iou.pk).select_related("iou", "customer"))
    if not cases:
        return sees_branch_cases(user)
    return any(can_view_case(case, user) for case in cases)


# --- what goes in -------------------------------------------------------------------------------

def _when(value) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if value else ""


def _sort_key(item) -> datetime:
    value = item.at
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    return datetime.combine(value, datetime.max.time() if item.late else datetime.min.time())


def _listing_pdf(title: str, number: str, body: str, tables: list[Table], user) -> bytes:
    data = DocumentData(number=number, values={}, tables=tables)
    return pdf.render(title=title, body=body, closing="", data=data, organisation=organisation_current(),
                      printed_by=staff_name(user))


def _yuan(amount) -> str:
    return format_yuan(amount)


def _schedule_pdf(iou: Iou, user) -> bytes:
    versions = list(ScheduleVersion.objects.filter(iou=iou).order_by("-is_current", "-version"))
    tables = []
    for version in versions:
        rows = []
        for row in Installment.objects.filter(schedule=version).order_by("number"):
            paid = row.principal_paid + row.interest_paid + row.fee_paid + row.penalty_paid
            rows.append([f"第{row.number}期" if row.number else "展期前欠款", row.due_date.isoformat(),
                         _yuan(row.principal_due), _yuan(row.interest_due + row.fee_due), _yuan(row.penalty_charged),
                         _yuan(paid), row.paid_off_on.isoformat() if row.paid_off_on else "未结清"])
        state = "当前" if version.is_current else "已被取代"
        tables.append(Table(
            caption=f"第{version.version}版（{version.get_kind_display()}，{version.effective_from.isoformat()}起，{state}）"
                    + (f"：{version.reason}" if version.reason else ""),
            header=["期次", "还款日", "应还本金", "利息及费用", "已计罚息", "已还合计", "结清日"], rows=rows,
            numeric_columns=(2, 3, 4, 5)))
    body = (f"借据{iou.number}的还款计划：共{len(versions)}个版本，当前版本在前。"
            "展期、追加放款或提前结清会生成新版本，原版本保留。")
    return _listing_pdf("还款计划", f"{iou.number}-JH", body, tables, user)


def _money_events(iou: Iou) -> list[Transaction]:
    return list(Transaction.objects.filter(iou=iou, kind__in=MONEY_KINDS).select_related("reversed_by", "created_by")
                .order_by("day", "id"))


def _repayments_pdf(iou: Iou, events: list[Transaction], receipts: dict[int, str], user) -> bytes:
    rows = []
    for t in events:
        state = f"已于{t.reversed_by.day.isoformat()}冲正" if t.is_reversed else ""
        rows.append([t.day.isoformat(), str(t.get_kind_display()), _yuan(t.amount), _yuan(t.principal),
                     _yuan(t.interest + t.penalty + t.fee), t.get_method_display() or "—",
                     (t.reference or "—") + (f"；{state}" if state else "")
                     + (f"；凭证：{receipts[t.pk]}" if t.pk in receipts else "")])
    table = Table(caption="资金往来明细", header=["日期", "类型", "金额", "本金", "利息罚息费用", "方式", "凭证号/说明"],
                  rows=rows, numeric_columns=(2, 3, 4))
    body = (f"借据{iou.number}的放款、还款、减免、冲正、核销及收回，按日期排列；"
            "每笔有效的还款和收回另附还款凭证PDF（见本文件夹）。")
    return _listing_pdf("还款记录", f"{iou.number}-HK", body, [table], user)


def _contacts_pdf(iou: Iou, records: list[ContactRecord], paths: dict[int, list[tuple[str, str]]], user) -> bytes:
    """One paragraph per record (a court reads them one by one), in contact time order."""
    parts = [f"借据{iou.number}的全部催收记录（共{len(records)}条），按联系时间排列。催收记录只能追加：更正是一条新记录，"
             "指向被更正的原记录。附件原样保存在以记录编号命名的文件夹中，其SHA-256亦见manifest.json。"]
    for r in records:
        who = r.party_name or str(r.get_party_display())
        line = (f"#{r.pk}　{_when(r.contacted_at)}　{r.get_method_display()}·{who}（{r.get_party_display()}）"
                f"　结果：{r.get_outcome_display()}\n")
        if r.notes:
            line += f"内容：{r.notes}\n"
        if r.next_step:
            line += f"下一步：{r.next_step}\n"
        links = []
        if r.corrects_id:
            links.append(f"更正记录#{r.corrects_id}")
        if r.refers_to_id:
            links.append(f"关联记录#{r.refers_to_id}")
        if r.interruption_recorded:
            links.append("已记录诉讼时效中断")
        if r.warning:
            links.append(f"提示：{r.warning}")
        if links:
            line += "；".join(links) + "\n"
        for name, sha in paths.get(r.pk, []):
            line += f"附件：{name}（SHA-256：{sha}）\n"
        line += f"记录人：{staff_name(r.recorded_by)}，记录时间：{_when(r.recorded_at)}"
        parts.append(line)
    return _listing_pdf("催收记录", f"{iou.number}-CS", "\n\n".join(parts), [], user)


def _limitation_pdf(iou: Iou, reading, events: list[LimitationEvent], by_sha: dict[str, str], user) -> bytes:
    expires = reading.expires_on.isoformat() if reading.expires_on else "尚未起算"
    parts = [f"借据{iou.number}截至{reading.day.isoformat()}的诉讼时效届满日：{expires}。",
             f"计算依据：{reading.basis}",
             f"登记的时效中断事由（只能追加）：共{len(events)}项。" if events else "没有登记的时效中断事由。"]
    for index, e in enumerate(events, start=1):
        who = staff_name(e.recorded_by) if e.recorded_by_id else "系统"
        line = f"{index}. {e.on.isoformat()} {e.get_kind_display()}：{e.evidence_note or '—'}\n"
        if e.evidence_sha256:
            line += f"证据SHA-256：{e.evidence_sha256}\n"
            if e.evidence_sha256 in by_sha:
                line += f"包内文件：{by_sha[e.evidence_sha256]}\n"
        line += (f"来源：{e.source}；" if e.source else "") + f"登记：{who} {_when(e.recorded_at)}"
        parts.append(line)
    tables = []
    counted = [[c.on.isoformat(), c.label, "计入" if c.counted else "不计入", c.note or "—"] for c in reading.events]
    if counted:
        tables.append(Table(caption="时效计算采用的事由（含部分还款）", header=["日期", "事由", "是否中断", "说明"], rows=counted))
    return _listing_pdf("诉讼时效", f"{iou.number}-SX", "\n\n".join(parts), tables, user)


@dataclass(frozen=True)
class TimelineItem:
    at: object
    what: str
    detail: str
    evidence: str = ""
    late: bool = False  # a day's result (a limitation interruption): after that day's timed events


def _timeline_pdf(iou: Iou, items: list[TimelineItem], user) -> bytes:
    items = sorted(items, key=_sort_key)
    rows = [[_when(i.at), i.what, i.detail or "—", i.evidence or "—"] for i in items]
    table = Table(caption=f"全部事件（共{len(rows)}项，按日期排列）", header=["日期", "事件", "内容", "证据（包内文件）"],
                  rows=rows)
    body = f"借据{iou.number}（债务人：{iou.customer.name}）自出具以来的全部事件：借据、资金往来、催收案件与催收记录、承诺还款、诉讼时效中断。"
    return _listing_pdf("时间线", f"{iou.number}-SJ", body, [table], user)


def _stored(row) -> Callable[[], IO[bytes]]:
    name = row.file.name
    return lambda: private_storage().open(name, "rb")


def package_entries(iou: Iou, *, user, day: date) -> list[Entry]:
    """Every file of the package, in order (the PDFs made now, stored files opened when written)."""
    entries: list[Entry] = []
    timeline: list[TimelineItem] = []
    number = iou.number

    # 01 the IOU and its papers
    iou_path = ""
    if iou.status != Status.CANCELLED:
        kind = documents.iou_document_kind(iou)
        iou_path = f"01-借据/{documents.document_filename(number, kind)}"
        entries.append(Entry(iou_path, "iou_document", _g("借条/欠条（签署时的条款）"),
                             content=documents.iou_document_pdf(iou=iou, user=user)))
    timeline.append(TimelineItem(iou.contract_date, _g("出具借据"),
                                 f"{iou.get_kind_display()} 本金{_yuan(iou.principal)}", iou_path))
    for version in ScheduleVersion.objects.filter(iou=iou, kind=ScheduleKind.EXTENSION).order_by("version"):
        path = f"01-借据/{number}-ZQ{extension_number(version):02d}-展期协议.pdf"
        entries.append(Entry(path, "extension", _g("展期协议"),
                             content=documents.extension_agreement_pdf(version=version, user=user)))
        timeline.append(TimelineItem(version.effective_from, _g("展期"), version.reason, path))
    for index, paper in enumerate(CustomerFile.objects.filter(iou=iou).order_by("uploaded_at", "id"), start=1):
        label = _g("原件") if paper.kind == FileKind.IOU else str(paper.get_kind_display())
        path = f"01-借据/{label}-{index:02d}-{safe_name(paper.original_name)}"
        entries.append(Entry(path, "original" if paper.kind == FileKind.IOU else "paper",
                             f"{paper.get_kind_display()}（{paper.note or paper.original_name}）", opener=_stored(paper),
                             recorded_sha256=paper.sha256))
        timeline.append(TimelineItem(paper.uploaded_at, _g("上传资料"), str(paper.get_kind_display()), path))

    # 02 schedule
    entries.append(Entry("02-还款计划/还款计划.pdf", "schedule", _g("还款计划（全部版本）"), content=_schedule_pdf(iou, user)))

    # 03 money events and receipts
    money = _money_events(iou)
    receipts: dict[int, str] = {}
    receipt_entries = []
    for t in money:
        if t.kind in RECEIPT_KINDS and not t.is_reversed:
            path = f"03-还款记录/{receipt_number(t)}-还款凭证.pdf"
            receipts[t.pk] = path.rsplit("/", 1)[1]
            receipt_entries.append(Entry(path, "receipt", _g("还款凭证 %(day)s %(amount)s") % {
                "day": t.day.isoformat(), "amount": _yuan(t.amount)},
                content=documents.receipt_pdf(transaction=t, user=user)))
        reversed_note = _g("（已冲正）") if t.is_reversed else ""
        timeline.append(TimelineItem(t.day, str(t.get_kind_display()),
                                     f"{_yuan(t.amount)}{reversed_note}" + (f" {t.reference}" if t.reference else ""),
                                     f"03-还款记录/{receipts[t.pk]}" if t.pk in receipts else ""))
    entries.append(Entry("03-还款记录/还款记录.pdf", "repayments", _g("资金往来明细"),
                         content=_repayments_pdf(iou, money, receipts, user)))
    entries += receipt_entries
    if iou.overdue_since:
        timeline.append(TimelineItem(iou.overdue_since, _g("开始逾期"), _g("逾期天数：%(days)s") % {"days": iou.days_past_due}))

    # 04 collection: cases, contact records and their attachments, promises
    records = list(ContactRecord.objects.filter(iou=iou).select_related("recorded_by").order_by("contacted_at", "id"))
    attachments = list(ContactAttachment.objects.filter(record__iou=iou).order_by("record_id", "id"))
    paths: dict[int, list[tuple[str, str]]] = {}
    by_sha: dict[str, str] = {}
    attachment_entries = []
    record_of = {r.pk: r for r in records}
    for a in attachments:
        record = record_of.get(a.record_id)
        day_text = timezone.localtime(record.contacted_at).strftime("%Y%m%d") if record else ""
        folder = f"04-催收记录/{a.record_id:05d}-{day_text}-{record.get_method_display() if record else ''}"
        path = f"{folder}/{a.get_kind_display()}-{safe_name(a.original_name)}"
        attachment_entries.append(Entry(path, f"attachment:{a.kind}", f"{a.get_kind_display()}（催收记录#{a.record_id}）",
                                        opener=_stored(a), recorded_sha256=a.sha256))
        paths.setdefault(a.record_id, []).append((path.rsplit("/", 1)[1], a.sha256))
        by_sha.setdefault(a.sha256, path)
    entries.append(Entry("04-催收记录/催收记录.pdf", "contacts", _g("催收记录（只能追加）"),
                         content=_contacts_pdf(iou, records, paths, user)))
    entries += attachment_entries
    folders = {e.path.rsplit("/", 1)[0] for e in attachment_entries}
    for r in records:
        folder = next((f for f in folders if f.startswith(f"04-催收记录/{r.pk:05d}-")), "")
        timeline.append(TimelineItem(r.contacted_at, _g("催收记录#%(pk)s：%(method)s·%(outcome)s") % {
            "pk": r.pk, "method": r.get_method_display(), "outcome": r.get_outcome_display()},
            f"{r.party_name or r.get_party_display()} {r.notes}".strip()[:160], folder))
    for case in Case.objects.filter(iou=iou).prefetch_related("events"):
        for event in case.events.all():
            if event.kind == "contact":
                continue  # the contact record itself is on the timeline
            timeline.append(TimelineItem(event.at, _g("催收案件%(number)s：%(kind)s") % {
                "number": case.number, "kind": event.get_kind_display()}, event.text))
    for promise in Promise.objects.filter(iou=iou).order_by("promised_on", "id"):
        timeline.append(TimelineItem(promise.promised_on, _g("承诺还款日"), _g("承诺%(amount)s，%(status)s") % {
            "amount": _yuan(promise.amount), "status": promise.get_status_display()}))

    # legal action (H3's LegalCase of this IOU): on the timeline
    for legal in LegalCase.objects.filter(iou=iou).order_by("opened_on", "id"):
        label = _g("法律诉讼%(number)s") % {"number": legal.number}
        counsel = " ".join(part for part in (legal.law_firm, legal.lawyer) if part)
        timeline.append(TimelineItem(legal.opened_on, label, _g("转诉讼") + (f"（{counsel}）" if counsel else "")))
        if legal.filed_on:
            timeline.append(TimelineItem(legal.filed_on, label, _g("起诉：%(court)s %(number)s") % {
                "court": legal.court, "number": legal.court_case_number}))
        if legal.judgment_on:
            timeline.append(TimelineItem(legal.judgment_on, label, _g("判决金额%(amount)s") % {
                "amount": _yuan(legal.judgment_amount)}))
        for event in LegalEvent.objects.filter(case=legal).order_by("on", "id"):
            timeline.append(TimelineItem(event.on, label, f"{event.get_kind_display()} {event.text}".strip()))

    # 05 limitation
    events = list(LimitationEvent.objects.filter(iou=iou).select_related("recorded_by").order_by("on", "id"))
    reading = limitation_clock(iou, day=day)
    entries.append(Entry("05-诉讼时效/诉讼时效.pdf", "limitation", _g("诉讼时效届满日、计算依据及中断事由"),
                         content=_limitation_pdf(iou, reading, events, by_sha, user)))
    for e in events:
        timeline.append(TimelineItem(e.on, _g("诉讼时效中断：%(kind)s") % {"kind": e.get_kind_display()},
                                     e.evidence_note, by_sha.get(e.evidence_sha256, ""), late=True))

    # 06 timeline
    entries.append(Entry("06-时间线.pdf", "timeline", _g("时间线（全部事件按日期排列）"),
                         content=_timeline_pdf(iou, timeline, user)))
    return entries


@dataclass(frozen=True)
class PackageInfo:
    filename: str
    manifest_sha256: str
    files: int


def package_filename(iou: Iou, day: date) -> str:
    return f"{iou.number}-证据包-{day.strftime('%Y%m%d')}.zip"


def evidence_package_build(iou: Iou, *, user, out: IO[bytes]) -> PackageInfo:
    """Write the IOU's evidence package to ``out`` (a file opened for writing). Refused without the
    right (a foreign IOU is "not found"); the download is audited with the manifest's SHA-256."""
    iou = Iou.objects.select_related("customer", "branch").filter(pk=iou.pk).first()
    if iou is None or (user is not None and not scope.can_see_branch(user, iou.branch_id)):
        raise NotFound(_("借据不存在，或您无权查看。"))
    if not can_download_evidence(iou, user):
        raise PermissionDenied(_("您没有下载这笔借据证据包的权限。"))
    if iou.status == Status.CANCELLED:
        raise InvalidState(_("借据 %(number)s 已作废，没有证据包。") % {"number": iou.number})
    if iou.status in (Status.DRAFT, Status.PENDING_APPROVAL):
        raise InvalidState(_("借据 %(number)s 尚未生效，没有证据包。") % {"number": iou.number})
    day = clock.today()
    entries = package_entries(iou, user=user, day=day)
    meta = {
        "iou": {"number": iou.number, "kind": iou.kind, "debtor": iou.customer.name, "principal": str(iou.principal),
                "contract_date": iou.contract_date.isoformat()},
        "organisation": organisation_current().name,
        "business_date": day.isoformat(),
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S%z"),
        "generated_by": staff_label(user),
        "verify": "ioudesk evidence verify <本文件.zip>",
    }
    manifest, manifest_sha = write_package(out, entries, meta)
    audit.record(AuditAction.DOWNLOAD, obj=iou, verb=_g("下载证据包"),
                 changes={"files": [None, len(manifest["files"])], "manifest_sha256": [None, manifest_sha]})
    return PackageInfo(filename=package_filename(iou, day), manifest_sha256=manifest_sha, files=len(manifest["files"]))


def evidence_package_bytes(iou: Iou, *, user) -> tuple[bytes, PackageInfo]:
    """The package in memory (tests, small packages)."""
    buffer = io.BytesIO()
    info = evidence_package_build(iou, user=user, out=buffer)
    return buffer.getvalue(), info
