"""Re-encrypting personal data under the current key: the service behind ``ioudesk rotate_field_keys``.

A service of its own, above the encrypted field (ioudesk/core/fields.py) and the audit trail
(ioudesk/core/audit.py), which both stay below it: the field module knows nothing of auditing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models.functions import Cast

from ioudesk.core import audit, crypto
from ioudesk.core.fields import encrypted_fields
from ioudesk.core.models.audit import AuditAction


@dataclass(frozen=True)
class RotationResult:
    model: type[models.Model]
    rows: int  # rows with at least one encrypted value
    rotated: int  # rows re-encrypted now (the rest were already under the current key)

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}（{self.model._meta.verbose_name}）"


def rotate_encrypted_fields(
    *, models_: Iterable[type[models.Model]] | None = None, batch_size: int = 500
) -> list[RotationResult]:
    """Re-encrypt every encrypted value under the current key (the service behind
    ``ioudesk rotate_field_keys``).

    Walks each model in primary-key order, ``batch_size`` rows per transaction, each batch read
    under ``select_for_update`` (SQLite: the IMMEDIATE transaction's write lock) so a clerk's edit
    cannot be overwritten with an older value.  Rows are written with ``QuerySet.update()`` on the
    primary key: no ``save()``, no ``auto_now`` or other side effects.  Values already under the
    current key are left alone, so running it again writes nothing.  Records one audit event.
    """
    if batch_size < 1:
        raise ValueError("batch_size 必须大于 0")
    results = []
    for model, fields in encrypted_fields(models_):
        results.append(_rotate_model(model, fields, batch_size))
    if results:
        audit.record(
            AuditAction.ACTION,
            verb="轮换字段加密密钥",
            object_repr="字段加密密钥",
            changes={result.model._meta.label: [None, result.rotated] for result in results},
            reason=f"当前密钥指纹 {crypto.key_fingerprint(crypto.field_keys()[0])}",
        )
    return results


def _rotate_model(model, fields, batch_size: int) -> RotationResult:
    manager = model._base_manager
    raw = {f"_cipher_{field.attname}": field for field in fields}
    pk_name = model._meta.pk.attname
    last_pk, rows, rotated = None, 0, 0
    while True:
        with transaction.atomic():
            queryset = manager.select_for_update().annotate(
                **{alias: Cast(field.attname, output_field=models.TextField()) for alias, field in raw.items()}
            )
            if last_pk is not None:
                queryset = queryset.filter(pk__gt=last_pk)
            batch = list(queryset.order_by("pk").values(pk_name, *raw)[:batch_size])
            for row in batch:
                changes = {}
                for alias, field in raw.items():
                    token = row[alias]
                    if not token:
                        continue
                    try:
                        new = crypto.rotate(token)
                    except crypto.DecryptionError as error:
                        raise crypto.DecryptionError(
                            f"{model._meta.label}.{field.name}（主键 {row[pk_name]}）：{error}"
                        ) from None
                    if new != token:
                        changes[field.attname] = models.Value(new, output_field=models.TextField())
                if any(row[alias] for alias in raw):
                    rows += 1
                if changes:
                    manager.filter(pk=row[pk_name]).update(**changes)
                    rotated += 1
        if len(batch) < batch_size:
            return RotationResult(model=model, rows=rows, rotated=rotated)
        last_pk = batch[-1][pk_name]
