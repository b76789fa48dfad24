"""Writing to the ledger: the one door through which money enters the books.

``post_entry`` validates everything before it writes anything (at least two lines, each exactly one
side above zero, exact to the fen, balanced — on the balance sheet and off it, separately — and
every account existing, active and a leaf), numbers the entry (PZ20261128-0001), writes it and its
postings and records an audit event, all in one transaction. An idempotency key makes a retry
return the first entry; the same key with a different request is refused.
``reverse_entry`` posts the mirror image of an entry (debits ↔ credits) pointing to it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import MAX_AMOUNT, from_fen
from ioudesk.core import audit, clock, prepared
from ioudesk.core.context import actor_for_user, current_actor
from ioudesk.core.errors import InvalidState, NotFound, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.numbering import next_number
from ioudesk.ledger.chart import CHART, DEFAULT_COMPONENT_BY_TYPE, DEFAULT_COMPONENTS, NORMAL_SIDES
from ioudesk.ledger.models import MEMO_TYPES, Account, Component, EntryKind, JournalEntry, Posting

NUMBER_PREFIX = "PZ"
DOC_KINDS = ("", "B", "R")  # none, a receivables bill, a receipt/payment
_ZERO = Decimal("0")


@dataclass(frozen=True)
class Line:
    """One line of an entry to post: an account code and exactly one of debit or credit (yuan)."""

    account_code: str
    debit: Decimal = field(default=_ZERO)
    credit: Decimal = field(default=_ZERO)
    component: str = ""
    # the sub-ledger document a line is about (receivables: "B" a bill, "R" a receipt), so a
    # document's balance is the sum of its postings (ledger verify compares them)
    doc_kind: str = ""
    doc_id: int | None = None


@dataclass(frozen=True)
class _CheckedLine:
    code: str
    debit: int  # fen
    credit: int  # fen
    component: str
    doc_kind: str = ""
    doc_id: int | None = None


# --- posting ----------------------------------------------------------------------------------


def post_entry(
    *,
    kind: str,
    lines: list[Line],
    memo: str = "",
    iou_id: int | None = None,
    day: date | None = None,
    idempotency_key: str | None = None,
    reverses: JournalEntry | None = None,
    user=None,
    audited: bool = True,
) -> JournalEntry:
    """Post one balanced journal entry and return it (or the entry an idempotency key already made).
    `audited=False` when the caller records the business event in the audit trail itself."""
    return _post(kind=kind, lines=lines, memo=memo, iou_id=iou_id, day=day, idempotency_key=idempotency_key,
                 reverses=reverses, user=user, audited=audited)


@transaction.atomic
def reverse_entry(
    *,
    entry: JournalEntry,
    reason: str,
    user=None,
    idempotency_key: str | None = None,
    day: date | None = None,
) -> JournalEntry:
    """Post the mirror image of ``entry`` (its credits as debits and its debits as credits), dated
    ``day`` (the business date by default), pointing to it. An entry is reversed at most once and a
    reversal is never reversed: post a new entry instead."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写冲正原因。"), extra={"field": "reason"})
    lines = [
        Line(posting.account.code, debit=posting.credit, credit=posting.debit, component=posting.component,
             doc_kind=posting.doc_kind or "", doc_id=posting.doc_id)
        for posting in entry.postings.select_related("account").order_by("id")
    ]
    memo = f"冲正 {entry.number}：{reason}"[:200]
    return _post(kind=EntryKind.REVERSAL, lines=lines, memo=memo, iou_id=entry.iou_id, day=day,
                 idempotency_key=idempotency_key, reverses=entry, user=user, reason=reason)


def _post(*, kind, lines, memo, iou_id, day, idempotency_key, reverses, user, reason="", audited=True) -> JournalEntry:
    kind = _checked_kind(kind, reverses)
    checked = _checked_lines(lines)
    memo = (memo or "").strip()
    if len(memo) > 200:
        raise ValidationFailed(_("摘要最多 200 个字。"), extra={"field": "memo"})
    idempotency_key = (idempotency_key or "").strip() or None
    if idempotency_key and len(idempotency_key) > 100:
        raise ValidationFailed(_("幂等键最长 100 个字符。"), extra={"field": "idempotency_key"})
    fingerprint = _fingerprint(kind, checked, memo, iou_id, day, reverses)
    if idempotency_key:
        existing = _replayed(idempotency_key, fingerprint)
        if existing is not None:
            return existing

    accounts = _checked_accounts(checked, for_reversal=reverses is not None)
    _check_balanced(checked, accounts)
    if reverses is not None:
        _check_reversible(reverses)

    day = day or clock.today()
    created_by = user if getattr(user, "is_authenticated", False) else None
    return _write(kind=kind, checked=checked, accounts=accounts, memo=memo, iou_id=iou_id, day=day,
                  idempotency_key=idempotency_key, fingerprint=fingerprint, reverses=reverses, user=user,
                  created_by=created_by, reason=reason, audited=audited)


# Everything above only reads, so a refused entry leaves the caller's transaction usable; from here
# on it writes, in the caller's transaction (or its own), and a database error undoes all of it.
@transaction.atomic(savepoint=False)
def _write(*, kind, checked, accounts, memo, iou_id, day, idempotency_key, fingerprint, reverses, user, created_by,
           reason, audited) -> JournalEntry:
    # A savepoint only where a concurrent twin can win the race (the same idempotency key, the same
    # entry reversed): the loser's number is given back and the winner's entry returned. Without
    # either, nothing can collide, and an error undoes the caller's whole transaction anyway.
    racy = bool(idempotency_key) or reverses is not None
    try:
        with transaction.atomic(savepoint=racy):
            entry = JournalEntry(
                number=next_number(prefix=NUMBER_PREFIX, day=day),
                day=day, kind=kind, memo=memo, iou_id=iou_id, reverses=reverses,
                idempotency_key=idempotency_key, request_hash=fingerprint, created_by=created_by,
            )
            prepared.insert(entry)
            prepared.insert_many([
                Posting(
                    entry=entry, account_id=accounts[line.code]["id"], debit=from_fen(line.debit),
                    credit=from_fen(line.credit), iou_id=iou_id, day=day,
                    component=line.component or _default_component(accounts[line.code]),
                    doc_kind=line.doc_kind or None, doc_id=line.doc_id,
                )
                for line in checked
            ])
    except IntegrityError:
        # Another transaction committed the same idempotency key, or reversed the same entry, first.
        if idempotency_key:
            existing = _replayed(idempotency_key, fingerprint)
            if existing is not None:
                return existing
        if reverses is not None and JournalEntry.objects.filter(reverses=reverses).exists():
            raise InvalidState(_("该凭证已冲正。")) from None
        raise

    if not audited:
        return entry
    total = sum(line.debit for line in checked)
    audit.record(
        AuditAction.ACTION,
        obj=entry,
        verb="冲正" if reverses is not None else "记账",
        changes={
            "number": [None, entry.number], "kind": [None, kind], "amount": [None, str(from_fen(total))],
            **({"iou_id": [None, iou_id]} if iou_id is not None else {}),
            **({"reverses": [None, reverses.number]} if reverses is not None else {}),
        },
        reason=reason or memo,
        actor=actor_for_user(user, current_actor().ip_address) if created_by else None,
    )
    return entry


@dataclass(frozen=True)
class EntryRequest:
    """One entry for ``post_entries``: what ``post_entry`` takes, without idempotency key or reversal."""

    kind: str
    lines: list[Line]
    memo: str
    iou_id: int | None
    day: date


@transaction.atomic(savepoint=False)
def post_entries(requests: list[EntryRequest], *, user=None) -> list[JournalEntry]:
    """Post many entries at once (the daily close's bulk interest): every entry checked as
    ``post_entry`` checks it, numbered by ``next_number`` (take a ``numbering.reserved_block``
    around the call), and written as the same rows, in one INSERT for the entries and one for
    their postings. Not audited (the caller records the business event) and without idempotency
    keys or reversals. Refused as a whole if one entry is refused."""
    if not requests:
        return []
    checked_all = []
    for request in requests:
        kind = _checked_kind(request.kind, None)
        checked = _checked_lines(request.lines)
        memo = (request.memo or "").strip()
        if len(memo) > 200:
            raise ValidationFailed(_("摘要最多 200 个字。"), extra={"field": "memo"})
        checked_all.append((kind, checked, memo))
    accounts = _checked_accounts([line for _kind, checked, _memo in checked_all for line in checked],
                                 for_reversal=False)
    created_by = user if getattr(user, "is_authenticated", False) else None
    entries = []
    for request, (kind, checked, memo) in zip(requests, checked_all, strict=True):
        _check_balanced(checked, accounts)
        entries.append(JournalEntry(
            number=next_number(prefix=NUMBER_PREFIX, day=request.day), day=request.day, kind=kind, memo=memo,
            iou_id=request.iou_id, reverses=None, idempotency_key=None,
            request_hash=_fingerprint(kind, checked, memo, request.iou_id, request.day, None), created_by=created_by))
    prepared.insert_many(entries)
    postings = [
        Posting(entry=entry, account_id=accounts[line.code]["id"], debit=from_fen(line.debit),
                credit=from_fen(line.credit), iou_id=entry.iou_id, day=entry.day,
                component=line.component or _default_component(accounts[line.code]),
                doc_kind=line.doc_kind or None, doc_id=line.doc_id)
        for entry, (_kind, checked, _memo) in zip(entries, checked_all, strict=True) for line in checked
    ]
    for start in range(0, len(postings), 500):
        prepared.insert_many(postings[start:start + 500])
    return entries


# Django builds EntryKind.values anew on every access: the bulk paths check thousands of entries.
_KINDS = frozenset(EntryKind.values)


def _checked_kind(kind, reverses) -> str:
    if kind not in _KINDS:
        raise ValidationFailed(_("未知的业务类型：%(kind)s。") % {"kind": kind}, extra={"field": "kind"})
    if kind == EntryKind.REVERSAL and reverses is None:
        raise ValidationFailed(_("冲正凭证必须指明被冲正的原凭证，请使用冲正功能。"), extra={"field": "kind"})
    if reverses is not None and kind != EntryKind.REVERSAL:
        raise ValidationFailed(_("只有冲正凭证可以指向原凭证。"), extra={"field": "reverses"})
    return str(kind)


def _amount_fen(value, number: int, side: str) -> int:
    if isinstance(value, float):
        raise ValidationFailed(
            _("第 %(n)d 行：金额不能用浮点数，请用 Decimal 或字符串。") % {"n": number}, extra={"line": number}
        )
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise ValidationFailed(_("第 %(n)d 行：金额的类型不支持。") % {"n": number}, extra={"line": number})
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValidationFailed(
            _("第 %(n)d 行：%(side)s金额不是数字：%(value)s。") % {"n": number, "side": side, "value": value},
            extra={"line": number},
        ) from None
    if not amount.is_finite():
        raise ValidationFailed(_("第 %(n)d 行：%(side)s金额不是数字。") % {"n": number, "side": side},
                               extra={"line": number})
    if amount < 0:
        raise ValidationFailed(
            _("第 %(n)d 行：%(side)s金额不能为负数（%(value)s）；反方向请记在另一方。")
            % {"n": number, "side": side, "value": amount},
            extra={"line": number},
        )
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValidationFailed(
            _("第 %(n)d 行：金额最多两位小数（精确到分）：%(value)s。") % {"n": number, "value": amount},
            extra={"line": number},
        )
    if amount > MAX_AMOUNT:
        raise ValidationFailed(_("第 %(n)d 行：金额超出上限。") % {"n": number}, extra={"line": number})
    return int(fen)


def _checked_lines(lines) -> list[_CheckedLine]:
    lines = list(lines or [])
    if len(lines) < 2:
        raise ValidationFailed(_("一张凭证至少要有两条分录（一借一贷）。"), extra={"field": "lines"})
    checked = []
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, Line):
            raise ValidationFailed(_("第 %(n)d 行不是分录（Line）。") % {"n": number}, extra={"line": number})
        debit = _amount_fen(line.debit, number, "借方")
        credit = _amount_fen(line.credit, number, "贷方")
        if (debit > 0) == (credit > 0):
            raise ValidationFailed(
                _("第 %(n)d 行：借方和贷方必须填且只填一方，金额大于零。") % {"n": number}, extra={"line": number}
            )
        component = str(line.component or "")
        if component and component not in Component.values:
            raise ValidationFailed(
                _("第 %(n)d 行：未知的构成“%(component)s”。") % {"n": number, "component": component},
                extra={"line": number},
            )
        doc_kind = str(line.doc_kind or "")
        if doc_kind not in DOC_KINDS or (doc_kind == "") != (line.doc_id is None):
            raise ValidationFailed(
                _("第 %(n)d 行：单据类型与单据编号必须同时填写。") % {"n": number}, extra={"line": number}
            )
        checked.append(_CheckedLine(code=str(line.account_code).strip(), debit=debit, credit=credit,
                                    component=component, doc_kind=doc_kind, doc_id=line.doc_id))
    debits, credits = sum(x.debit for x in checked), sum(x.credit for x in checked)
    if debits != credits:
        raise ValidationFailed(
            _("借贷不平衡：借方合计 %(debit)s，贷方合计 %(credit)s，相差 %(diff)s。")
            % {"debit": from_fen(debits), "credit": from_fen(credits), "diff": from_fen(abs(debits - credits))},
            extra={"field": "lines"},
        )
    return checked


def _checked_accounts(checked: list[_CheckedLine], *, for_reversal: bool) -> dict[str, dict]:
    codes = sorted({line.code for line in checked})
    # Raw SQL: this runs for every entry posted, and the ORM's query compilation cost more than
    # the query itself.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT a.id, a.code, a.name, a.type, a.is_active,
                       EXISTS (SELECT 1 FROM ledger_account c WHERE c.parent_id = a.id), p.code, pp.code
                FROM ledger_account a
                LEFT JOIN ledger_account p ON p.id = a.parent_id
                LEFT JOIN ledger_account pp ON pp.id = p.parent_id
                WHERE a.code IN ({", ".join(["%s"] * len(codes))})""",
            codes,
        )
        columns = ("id", "code", "name", "type", "is_active", "has_children", "parent__code", "parent__parent__code")
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    accounts = {row["code"]: row for row in rows}
    for line in checked:  # in line order, so the message names the first bad line
        account = accounts.get(line.code)
        if account is None:
            raise ValidationFailed(_("科目 %(code)s 不存在。") % {"code": line.code}, extra={"field": "lines"})
        if for_reversal:
            continue  # the mirror of what was posted is always allowed, even after an account changed
        if not account["is_active"]:
            raise ValidationFailed(
                _("科目 %(code)s %(name)s 已停用，不能记账。") % account, extra={"field": "lines"}
            )
        if account["has_children"]:
            raise ValidationFailed(
                _("科目 %(code)s %(name)s 是汇总科目，请记到它的明细科目。") % account, extra={"field": "lines"}
            )
    return accounts


def _check_balanced(checked: list[_CheckedLine], accounts: dict[str, dict]) -> None:
    """Off-balance-sheet (表外) lines balance among themselves, so both trial balances stay clean."""
    memo = [line for line in checked if accounts[line.code]["type"] in MEMO_TYPES]
    if sum(x.debit for x in memo) != sum(x.credit for x in memo):
        raise ValidationFailed(
            _("表外科目的借贷必须自身平衡（表外借方 %(debit)s，表外贷方 %(credit)s）。")
            % {"debit": from_fen(sum(x.debit for x in memo)), "credit": from_fen(sum(x.credit for x in memo))},
            extra={"field": "lines"},
        )


def _check_reversible(original: JournalEntry) -> None:
    if original.pk is None:
        raise NotFound(_("要冲正的凭证不存在。"))
    if original.reverses_id is not None:
        raise InvalidState(_("冲正凭证不能再冲正。"))
    if JournalEntry.objects.filter(reverses=original).exists():
        raise InvalidState(_("该凭证已冲正。"))


def _default_component(account: dict) -> str:
    for code in (account["code"], account["parent__code"], account["parent__parent__code"]):
        if code in DEFAULT_COMPONENTS:
            return DEFAULT_COMPONENTS[code]
    return DEFAULT_COMPONENT_BY_TYPE.get(account["type"], "")


def _fingerprint(kind, checked, memo, iou_id, day, reverses) -> str:
    payload = {
        "kind": kind,
        # a line's document only when it names one, so entries without documents keep their fingerprints
        "lines": [[x.code, x.debit, x.credit, x.component, *([x.doc_kind, x.doc_id] if x.doc_kind else [])]
                  for x in checked],
        "memo": memo,
        "iou_id": iou_id,
        "day": day.isoformat() if day else None,  # None: "the business date", so a retry tomorrow still matches
        "reverses": reverses.pk if reverses is not None else None,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _replayed(idempotency_key: str, fingerprint: str) -> JournalEntry | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, number, request_hash FROM ledger_journalentry WHERE idempotency_key = %s",
                       [idempotency_key])
        found = cursor.fetchone()
    if found is None:
        return None
    pk, number, request_hash = found
    if request_hash != fingerprint:
        raise InvalidState(
            _("同一幂等键对应不同的请求：幂等键 %(key)s 已用于凭证 %(number)s。")
            % {"key": idempotency_key, "number": number},
            code="idempotency_conflict",
        )
    return JournalEntry.objects.get(pk=pk)


# --- chart of accounts ------------------------------------------------------------------------


def chart_ensure(*, account_model=None) -> int:
    """Create the accounts of ``chart.CHART`` that are missing; touch none that exist. Returns how
    many were created. Migrations pass their historical model as ``account_model``."""
    model = account_model or Account
    existing = {account.code: account for account in model.objects.all()}
    created = 0
    for spec in CHART:
        if spec.code in existing:
            continue
        parent = existing.get(spec.parent) if spec.parent else None
        account = model(code=spec.code, name=spec.name, type=spec.type, normal_side=spec.normal_side, parent=parent)
        account.save()
        existing[spec.code] = account
        created += 1
    return created


@transaction.atomic
def account_add(*, code: str, name: str, parent_code: str, user=None) -> Account:
    """Add a sub-account (明细科目), e.g. a second bank account 100202 under 1002. It takes its
    parent's type; its code starts with the parent's. A parent that already has postings of its own
    cannot get sub-accounts (its balance would stop adding up)."""
    code, name = (code or "").strip(), (name or "").strip()
    parent = Account.objects.select_for_update().filter(code=parent_code).first()
    if parent is None:
        raise ValidationFailed(_("上级科目 %(code)s 不存在。") % {"code": parent_code}, extra={"field": "parent"})
    if not name:
        raise ValidationFailed(_("请填写科目名称。"), extra={"field": "name"})
    if not code.isdigit() or not code.startswith(parent.code) or len(code) <= len(parent.code) or len(code) > 20:
        raise ValidationFailed(
            _("科目代码须以上级科目代码 %(parent)s 开头，后接数字，如 %(example)s。")
            % {"parent": parent.code, "example": f"{parent.code}02"},
            extra={"field": "code"},
        )
    if Account.objects.filter(code=code).exists():
        raise ValidationFailed(_("科目代码 %(code)s 已存在。") % {"code": code}, extra={"field": "code"})
    if parent.postings.exists():
        raise InvalidState(_("科目 %(code)s 已有分录，不能再设明细科目。") % {"code": parent.code})
    account = Account.objects.create(code=code, name=name, type=parent.type, normal_side=NORMAL_SIDES[parent.type],
                                     parent=parent)
    audit.record(AuditAction.CREATE, obj=account, verb="新增科目",
                 changes={"code": [None, code], "name": [None, name], "parent": [None, parent.code]},
                 actor=actor_for_user(user, current_actor().ip_address) if user else None)
    return account


@transaction.atomic
def account_update(*, account: Account, name: str, is_active: bool, user=None) -> Account:
    """Rename or (de)activate an account; its code, type and place in the chart never change."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("请填写科目名称。"), extra={"field": "name"})
    locked = Account.objects.select_for_update().get(pk=account.pk)
    changes = {}
    if locked.name != name:
        changes["name"] = [locked.name, name]
    if locked.is_active != bool(is_active):
        changes["is_active"] = [locked.is_active, bool(is_active)]
    if not changes:
        return locked
    locked.name, locked.is_active = name, bool(is_active)
    locked.save(update_fields=["name", "is_active"])
    audit.record(AuditAction.UPDATE, obj=locked, verb="修改科目", changes=changes,
                 actor=actor_for_user(user, current_actor().ip_address) if user else None)
    return locked
