"""The organisation's lists that customers are filed by: tags (客户标签) and source channels
(来源渠道). One door for each change, audited.

Deleting one that is in use is refused, not detached: a tag's removal from a customer is a change
to that customer's record (made and audited through 添加/移除标签), and a source channel says where
a customer came from, which stays true; a channel no longer used is switched off (``is_active``)
and leaves the Excel template's list.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.customers.models import SourceChannel, Tag

SORT_ORDER_MAX = 32767  # PositiveSmallIntegerField


def _refuse(error_class, message, field: str | None):
    extra = {"field": field, "details": [{"field": field, "message": str(message)}]} if field else {}
    return error_class(message, extra=extra)


def _name(value: str, *, model: type[Model], max_length: int, exclude_pk, required, too_long, taken) -> str:
    name = (value or "").strip()
    if not name:
        raise _refuse(ValidationFailed, required, "name")
    if len(name) > max_length:
        raise _refuse(ValidationFailed, too_long % {"max": max_length}, "name")
    if model.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        raise _refuse(ValidationFailed, taken % {"name": name}, "name")
    return name


def _locked_before(model: type[Model], instance: Model | None) -> dict | None:
    if instance is None or instance.pk is None:
        return None
    return audit.snapshot(model.objects.select_for_update().get(pk=instance.pk))


# ---------------------------------------------------------------- tags


@transaction.atomic
def tag_save(*, tag: Tag | None = None, name: str, colour: str = Tag.Colour.PRIMARY) -> Tag:
    """Create a tag (`tag` None or unsaved) or rename / recolour one. Names are unique ignoring case
    ("VIP" and "vip" are one tag). `tag` may be an instance a form has already changed: the stored
    row is what the audit trail compares with; the given instance is the one saved."""
    before = _locked_before(Tag, tag)
    name = _name(name, model=Tag, max_length=30, exclude_pk=tag.pk if tag else None, required=_("请填写标签名称。"),
                 too_long=_("标签名称最长 %(max)d 个字。"), taken=_("已有名为“%(name)s”的标签。"))
    if colour not in Tag.Colour.values:
        raise _refuse(ValidationFailed, _("请选择标签颜色。"), "colour")
    saved = tag if tag is not None else Tag()
    saved.name, saved.colour = name, colour
    saved.save()
    audit.record_change(obj=saved, before=before, after=audit.snapshot(saved),
                        verb="新建标签" if before is None else "修改标签")
    return saved


@transaction.atomic
def tag_delete(*, tag: Tag) -> None:
    """Delete a tag no customer carries; one in use is refused (remove it from those customers
    first, or rename it)."""
    stored = Tag.objects.select_for_update().get(pk=tag.pk)
    used = stored.customers.count()
    if used:
        raise _refuse(InvalidState, _("标签“%(name)s”正用于 %(count)d 位客户，不能删除：请先在客户列表中用“添加/移除标签”"
                                      "把它移除，或把标签改名。") % {"name": stored.name, "count": used}, None)
    before, pk = audit.snapshot(stored), stored.pk
    stored.delete()
    stored.pk = pk
    audit.record_change(obj=stored, before=before, after=None, verb="删除标签")


# ---------------------------------------------------------------- source channels


@transaction.atomic
def source_channel_save(*, channel: SourceChannel | None = None, name: str, is_active: bool = True,
                        sort_order: int = 0) -> SourceChannel:
    """Create a source channel or change its name, whether it is offered (`is_active`) and its
    place in the list (`sort_order`, 0 first)."""
    before = _locked_before(SourceChannel, channel)
    name = _name(name, model=SourceChannel, max_length=40, exclude_pk=channel.pk if channel else None,
                 required=_("请填写来源渠道名称。"), too_long=_("来源渠道名称最长 %(max)d 个字。"),
                 taken=_("已有名为“%(name)s”的来源渠道。"))
    if sort_order is None or not 0 <= sort_order <= SORT_ORDER_MAX:
        raise _refuse(ValidationFailed, _("排序应为 0 到 %(max)d 之间的整数（小的在前）。") % {"max": SORT_ORDER_MAX},
                      "sort_order")
    saved = channel if channel is not None else SourceChannel()
    saved.name, saved.is_active, saved.sort_order = name, bool(is_active), sort_order
    saved.save()
    audit.record_change(obj=saved, before=before, after=audit.snapshot(saved),
                        verb="新建来源渠道" if before is None else "修改来源渠道")
    return saved


@transaction.atomic
def source_channel_delete(*, channel: SourceChannel) -> None:
    """Delete a channel no customer or prospect came from; one in use is refused (switch it off)."""
    stored = SourceChannel.objects.select_for_update().get(pk=channel.pk)
    customers, prospects = stored.customers.count(), stored.prospects.count()
    if customers or prospects:
        raise _refuse(InvalidState, _("来源渠道“%(name)s”已用于 %(customers)d 位客户、%(prospects)d 位潜在客户，不能删除："
                                      "不再使用请取消“启用”。") % {
            "name": stored.name, "customers": customers, "prospects": prospects}, None)
    before, pk = audit.snapshot(stored), stored.pk
    stored.delete()
    stored.pk = pk
    audit.record_change(obj=stored, before=before, after=None, verb="删除来源渠道")


__all__ = ["source_channel_delete", "source_channel_save", "tag_delete", "tag_save"]
