"""The day step ``limitation_alerts`` (order 45, after collections' 40): in-app messages 90 and 30
days (``CollectionSettings.limitation_alert_days``) before an IOU's limitation period ends, to the
owner of its open collection case, its 客户经理 (officer) and the 催收主管 of its branch (or of a
branch above it). Once per IOU, threshold and expiry date: the unique ``LimitationAlert`` row and
the message's delivery key (``limitation:<iou>:<days>:<expiry>:<user>``). An IOU that comes into a
window late (entered with 20 days left) gets the alert of the smallest threshold it is within, not
every larger one as well. A moved expiry (a new interruption) is a new date: alerted again when it
comes near."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _g

from ioudesk.collections.models import Case, CaseStatus, CollectionSettings
from ioudesk.core import roles
from ioudesk.ious.models import Iou
from ioudesk.legal.models import LimitationAlert
from ioudesk.legal.selectors import WATCHED_STATUSES
from ioudesk.notify.categories import STAFF_NOTICE
from ioudesk.notify.models import Channel
from ioudesk.notify.services import message_queue_many

DEFAULT_DAYS = (90, 30)
MANAGER_ROLE = getattr(roles, "COLLECTION_MANAGER", "催收主管")


def alert_days() -> list[int]:
    """Thresholds, largest first."""
    settings = CollectionSettings.objects.order_by("id").first()
    days = settings.alert_days() if settings is not None else list(DEFAULT_DAYS)
    return sorted({d for d in days if d > 0}, reverse=True) or list(DEFAULT_DAYS)


def _managers() -> list[tuple[int, str]]:
    """(user id, branch path) of the active 催收主管."""
    User = get_user_model()
    return list(User.objects.filter(groups__name=MANAGER_ROLE, is_active=True, branch__isnull=False)
                .values_list("id", "branch__path").distinct())


def _due(day: date, threshold: int, lower: int | None):
    """IOUs whose expiry is within `threshold` days of `day` (and beyond the next smaller threshold),
    not alerted yet for this threshold and expiry."""
    start = day if lower is None else day + timedelta(days=lower + 1)
    alerted = LimitationAlert.objects.filter(iou_id=OuterRef("pk"), threshold=threshold,
                                             expires_on=OuterRef("limitation_expires_on"))
    return (Iou.objects.filter(status__in=WATCHED_STATUSES, limitation_expires_on__gte=start,
                               limitation_expires_on__lte=day + timedelta(days=threshold))
            .exclude(Exists(alerted)).order_by("id")
            .values_list("id", "number", "customer__name", "limitation_expires_on", "officer_id", "branch__path"))


@transaction.atomic
def limitation_alerts_day_step(*, day: date, close_run=None, catching_up: bool = False) -> dict[str, int]:
    days = alert_days()
    managers = _managers()
    counts = {"alerts": 0, "messages": 0}
    for position, threshold in enumerate(days):
        lower = days[position + 1] if position + 1 < len(days) else None
        rows = list(_due(day, threshold, lower))
        if not rows:
            continue
        owners = dict(Case.objects.filter(iou_id__in=[r[0] for r in rows], status=CaseStatus.OPEN,
                                          owner__isnull=False).values_list("iou_id", "owner_id"))
        User = get_user_model()
        wanted: dict[int, set[int]] = {}
        for iou_id, _number, _name, _expires, officer_id, path in rows:
            ids = {uid for uid in (owners.get(iou_id), officer_id) if uid}
            ids.update(uid for uid, manager_path in managers if path.startswith(manager_path))
            wanted[iou_id] = ids
        users = User.objects.in_bulk({uid for ids in wanted.values() for uid in ids})
        items, alerts = [], []
        for iou_id, number, name, expires, _officer, _path in rows:
            left = (expires - day).days
            body = _g("借据 %(number)s（债务人 %(name)s）的诉讼时效将于 %(expires)s 届满，还剩 %(left)d 天："
                      "请在届满前取得有送达证据的催收、债务人的书面确认或提起诉讼，以中断时效（民法典第188、195条）。") % {
                "number": number, "name": name, "expires": expires.isoformat(), "left": left}
            recipients = [users[uid] for uid in sorted(wanted[iou_id]) if uid in users and users[uid].is_active]
            for user in recipients:
                items.append({"channel": Channel.INAPP, "body": body, "subject": _g("诉讼时效预警"), "user": user,
                              "category": STAFF_NOTICE, "related": Iou(pk=iou_id),
                              "delivery_key": f"limitation:{iou_id}:{threshold}:{expires.isoformat()}:{user.pk}"})
            alerts.append(LimitationAlert(iou_id=iou_id, threshold=threshold, expires_on=expires, day=day,
                                          recipients=len(recipients)))
        if items:
            message_queue_many(items)
        LimitationAlert.objects.bulk_create(alerts, ignore_conflicts=True)
        counts["alerts"] += len(alerts)
        counts["messages"] += len(items)
    return counts
