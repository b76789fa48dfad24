"""幂等键 (idempotency keys): one key, one request.

Every money service and the extension takes an idempotency key, and the rule is the same for the
API and the back-office forms:

- the same key with the same request → the first answer, posted once (``is_replay()`` is true,
  so the API can say ``Idempotent-Replayed: true``);
- the same key with any other request — another IOU, another operation (a repayment's key sent to
  early settlement), or any other parameter (amount, day, method, payer, reference, term …) →
  ``IdempotencyKeyReused`` and nothing is posted.

"The same request" is decided by a fingerprint stored with the record the key produced
(``Transaction.request_hash``, ``ScheduleVersion.request_hash``): SHA-256 over canonical JSON of
the operation's name and its parameters as the caller gave them (amounts to two decimals, dates
ISO, text stripped; an omitted day stays omitted, so a retry on the next business date still
matches). Records made before fingerprints were stored have none (NULL); for them the old rule holds
(same IOU and kind of transaction).

The services look the key up after locking the IOU: of two requests with one key at the same
moment, the second waits for the first to commit, then finds its record and replays it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.errors import CalcError
from ioudesk.calc.money import parse_amount
from ioudesk.core import prepared
from ioudesk.core.errors import InvalidState
from ioudesk.ious.models import Iou, ScheduleVersion, Transaction

REPLAY_ATTRIBUTE = "idempotent_replay"


class IdempotencyKeyReused(InvalidState):
    code = "idempotency_key_reused"


def request_hash(operation: str, **params) -> str:
    """The fingerprint of one request: the operation and its parameters, canonical.

    >>> request_hash("repayment", iou=7, amount="888.49", day=None) == \\
    ...     request_hash("repayment", day=None, amount=Decimal("888.490"), iou=7)
    True
    >>> request_hash("repayment", iou=7, amount="888.49") == request_hash("early_settlement", iou=7, amount="888.49")
    False
    """
    payload = {"operation": operation, **{name: _canonical(name, value) for name, value in params.items()}}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(name: str, value):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
    if name == "amount" or isinstance(value, Decimal):
        try:
            return str(parse_amount(value))
        except (CalcError, TypeError, ValueError):
            return str(value)  # the service refuses it anyway; any stable text will do
    if isinstance(value, int):
        return value
    return str(value).strip()


def is_replay(record) -> bool:
    """Whether a service answered with the record an earlier request with the key produced."""
    return getattr(record, REPLAY_ATTRIBUTE, False)


# Compiled once: every money service looks its key up (see core.prepared).
_TRANSACTION_BY_KEY = prepared.Select(lambda key: Transaction.objects.filter(idempotency_key=key).only(
    "pk", "iou_id", "kind", "amount", "day", "request_hash").order_by()[:1])  # the key is unique
_VERSION_BY_KEY = prepared.Select(lambda key: ScheduleVersion.objects.filter(idempotency_key=key).only(
    "pk", "iou_id", "version", "request_hash").order_by()[:1])


def replayed(key: str | None, *, iou: Iou, request: str, kinds: tuple[str, ...] = ()) -> Transaction | None:
    """The transaction `key` already produced for this very request, or None when the key is new.
    Refuses a key used for anything else. Call it with the IOU locked."""
    if not key:
        return None
    found = _TRANSACTION_BY_KEY(key)
    if not found:
        versions = _VERSION_BY_KEY(key)
        if versions:  # the key made an extension: another endpoint
            raise _reused(key, versions[0].iou_id, _version_text(versions[0]))
        return None
    record = found[0]
    legacy_same = record.iou_id == iou.pk and (not kinds or record.kind in kinds)
    if not (record.request_hash == request if record.request_hash else legacy_same):
        raise _reused(key, record.iou_id, _transaction_text(record))
    setattr(record, REPLAY_ATTRIBUTE, True)
    return record


def replayed_version(key: str | None, *, iou: Iou, request: str) -> ScheduleVersion | None:
    """The schedule version `key` already produced for this very request (an extension), or None."""
    if not key:
        return None
    versions = _VERSION_BY_KEY(key)
    if not versions:
        records = _TRANSACTION_BY_KEY(key)
        if records:  # the key made a money transaction: another endpoint
            raise _reused(key, records[0].iou_id, _transaction_text(records[0]))
        return None
    version = versions[0]
    if not (version.request_hash == request if version.request_hash else version.iou_id == iou.pk):
        raise _reused(key, version.iou_id, _version_text(version))
    setattr(version, REPLAY_ATTRIBUTE, True)
    return version


def _transaction_text(record: Transaction):
    return _("%(kind)s ¥%(amount)s（%(day)s）") % {
        "kind": record.get_kind_display(), "amount": f"{record.amount:,.2f}", "day": record.day.isoformat()}


def _version_text(version: ScheduleVersion):
    return _("展期/重组（第 %(version)d 版还款计划）") % {"version": version.version}


def _reused(key: str, iou_id: int, what) -> IdempotencyKeyReused:
    number = Iou.objects.filter(pk=iou_id).values_list("number", flat=True).first() or iou_id
    return IdempotencyKeyReused(
        _("幂等键已用于另一笔业务：“%(key)s”办理的是借据 %(iou)s 的%(what)s，与本次请求不同，本次未入账。"
          "新业务请生成新的幂等键。") % {"key": key, "iou": number, "what": what})
