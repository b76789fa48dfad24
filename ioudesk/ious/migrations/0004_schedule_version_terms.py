"""Each schedule version keeps the terms it was made on (kind, term, rate), so the 借条 can print
the signed terms and the 展期协议 the extended ones after the IOU's own fields have moved on.

Backfill for versions made before: the kind from the version number and the reason text written
then (版本 1 is the disbursement; 提前结清 / 追加放款 by their reason, in Chinese or English; every
other version was an extension); the term counts the version's installments (without the carried
installment 0); the rate is read back from the extension audit events (展期/重组 records
rate_text before and after), else it is the IOU's current rate.
"""

from django.db import migrations, models


def _annual(text):
    from ioudesk.calc.errors import CalcError
    from ioudesk.calc.rates import parse_rate

    try:
        return parse_rate(text).annual
    except CalcError:
        return None


def _kind(version) -> str:
    reason = (version.reason or "").strip()
    if version.version == 1:
        return "disbursement"
    if reason in ("提前结清", "Early settlement"):
        return "settlement"
    if reason.startswith("追加放款") or reason.lower().startswith("additional"):
        return "tranche"
    return "extension"


def backfill(apps, schema_editor):
    ScheduleVersion = apps.get_model("ious", "ScheduleVersion")
    Installment = apps.get_model("ious", "Installment")
    AuditEvent = apps.get_model("core", "AuditEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    iou_type = ContentType.objects.filter(app_label="ious", model="iou").first()
    by_iou: dict[int, list] = {}
    for version in ScheduleVersion.objects.select_related("iou").order_by("iou_id", "version"):
        by_iou.setdefault(version.iou_id, []).append(version)
    for iou_id, versions in by_iou.items():
        iou = versions[0].iou
        changes = []  # [before, after] of rate_text, one per extension, in order
        if iou_type is not None:
            events = AuditEvent.objects.filter(content_type=iou_type, object_id=str(iou_id)).order_by("pk")
            changes = [e.changes["rate_text"] for e in events
                       if isinstance(e.changes, dict) and "rate_text" in e.changes and "term" in e.changes]
        text = changes[0][0] if changes else iou.rate_text
        extensions = 0
        for version in versions:
            version.kind = _kind(version)
            if version.kind == "extension":
                extensions += 1
                if extensions <= len(changes):
                    text = changes[extensions - 1][1]
            version.term = Installment.objects.filter(schedule=version, number__gte=1).count() or None
            version.rate_text = text or ""
            version.annual_rate = _annual(text) if text else None
            version.save(update_fields=["kind", "term", "rate_text", "annual_rate"])


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("ious", "0003_cap_unprotected_penalty"),
    ]

    operations = [
        migrations.AddField(
            model_name="scheduleversion",
            name="kind",
            field=models.CharField(choices=[("disbursement", "放款"), ("tranche", "追加放款"),
                                            ("extension", "展期/重组"), ("settlement", "提前结清")],
                                   default="disbursement", max_length=12, verbose_name="类型"),
        ),
        migrations.AddField(
            model_name="scheduleversion",
            name="term",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="期数"),
        ),
        migrations.AddField(
            model_name="scheduleversion",
            name="rate_text",
            field=models.CharField(blank=True, max_length=30, verbose_name="利率"),
        ),
        migrations.AddField(
            model_name="scheduleversion",
            name="annual_rate",
            field=models.DecimalField(blank=True, decimal_places=8, max_digits=10, null=True, verbose_name="年利率"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
