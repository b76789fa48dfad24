"""Stored report parameters under the names the parser reads: an earlier ReportParams.to_json wrote
branch_id / product_id / officer_id / customer_id and a nested "extra" (a report's own options), which
params_parse does not read; rewrite them as branch / product / officer / customer and top-level
options (GeneratedReport.params, ReportSchedule.params, SavedPivot.filters)."""

from django.db import migrations

RENAMED = {"branch_id": "branch", "product_id": "product", "officer_id": "officer", "customer_id": "customer"}


def form_names(stored):
    if not isinstance(stored, dict) or not (set(RENAMED) | {"extra"}) & set(stored):
        return None
    out = {RENAMED.get(key, key): value for key, value in stored.items() if key != "extra"}
    extra = stored.get("extra")
    if isinstance(extra, dict):
        for key, value in extra.items():
            out.setdefault(key, value)
    return out


def forwards(apps, schema_editor):
    for model, field in (("GeneratedReport", "params"), ("ReportSchedule", "params"), ("SavedPivot", "filters")):
        manager = apps.get_model("reports", model).objects
        for pk, stored in manager.values_list("pk", field).iterator():
            rewritten = form_names(stored)
            if rewritten is not None:
                manager.filter(pk=pk).update(**{field: rewritten})


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0003_a_flow_iou_kind"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
