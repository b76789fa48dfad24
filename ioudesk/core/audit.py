"""Writing to the audit trail. Services call `record()` for business actions; the back office's
AuditedAdminMixin calls `record_change()` for every create, update and delete it performs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models

from ioudesk.core import prepared
from ioudesk.core.context import Actor, current_actor
from ioudesk.core.models import AuditEvent
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.names import staff_label

# Fields whose values never enter the trail; a change to them is recorded as "已修改".
SECRET_FIELDS = {"password", "secret", "key", "token"}
HIDDEN = "******"


def record(
    action: str,
    *,
    obj: models.Model | None = None,
    verb: str = "",
    changes: dict | None = None,
    reason: str = "",
    actor: Actor | None = None,
    object_repr: str | None = None,
    branch_id: int | None = None,
) -> AuditEvent:
    actor = actor or current_actor()
    event = AuditEvent(
        actor_id=actor.user_id,
        actor_name=actor.name[:150],
        ip_address=actor.ip_address,
        action=action,
        verb=str(verb)[:80],
        changes=changes or {},
        reason=reason or "",
        branch_id=branch_id if branch_id is not None else _branch_of(obj, actor),
    )
    if obj is not None:
        event.content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        event.object_id = str(obj.pk)
        event.object_repr = (object_repr if object_repr is not None else _repr(obj))[:200]
    elif object_repr:
        event.object_repr = object_repr[:200]
    prepared.insert(event)
    return event


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The audited state of a record: its concrete fields and many-to-many ids, as JSON values.
    Many-to-many values are shown by their names so that a role change reads as one."""
    data: dict[str, Any] = {}
    from ioudesk.core.fields import EncryptedTextField

    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if _is_secret(field.name):
            value = HIDDEN
        elif isinstance(field, EncryptedTextField) and value:
            value = "****" + str(value)[-4:] if len(str(value)) > 8 else HIDDEN  # personal data: never in full
        data[field.name] = _jsonable(value)
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            data[field.name] = sorted(str(item) for item in getattr(obj, field.name).all())
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """`{field: [before, after]}` for the fields that differ.

    >>> diff({"name": "甲", "age": 1}, {"name": "乙", "age": 1})
    {'name': ['甲', '乙']}
    """
    changed = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changed[key] = [old, new]
    return changed


def record_change(
    *, obj: models.Model, before: dict | None, after: dict | None, reason: str = "", verb: str = "",
    branch_id: int | None = None,
) -> AuditEvent | None:
    """`branch_id`: the branch the change belongs to, for a record without a branch of its own (a
    customer's contact: the customer's branch); by default the record's, else the actor's."""
    if before is None:
        action, changes = AuditAction.CREATE, {k: [None, v] for k, v in (after or {}).items() if v not in (None, "", [])}
    elif after is None:
        action, changes = AuditAction.DELETE, {k: [v, None] for k, v in before.items() if v not in (None, "", [])}
    else:
        action, changes = AuditAction.UPDATE, diff(before, after)
        if not changes:
            return None
    return record(action, obj=obj, changes=changes, reason=reason, verb=verb, branch_id=branch_id)


def events_for(obj: models.Model):
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return AuditEvent.objects.filter(content_type=content_type, object_id=str(obj.pk))


def _is_secret(name: str) -> bool:
    return any(part in name for part in SECRET_FIELDS)


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _repr(obj: models.Model) -> str:
    """A staff record is named with its user name too ("张伟（zhangwei）"): two 张伟 stay apart."""
    if isinstance(obj, AbstractBaseUser):
        return staff_label(obj)
    return str(obj)


def _branch_of(obj, actor: Actor) -> int | None:
    if obj is not None:
        branch_id = getattr(obj, "branch_id", None)
        if branch_id is not None:
            return branch_id
    return actor.branch_id
