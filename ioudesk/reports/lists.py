"""The IOU list (借据) as an .xlsx, with the list's current filters and search: the rows the user sees,
streamed from the database in chunks into a write-only workbook (at most MAX_ROWS), audited. Called by
the IOU list's 导出 Excel action (ioudesk/backoffice/admin/ious.py) with the changelist's queryset."""

from __future__ import annotations

from io import BytesIO

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ioudesk.core import audit, clock, scope
from ioudesk.core.errors import PermissionDenied
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.names import person_name
from ioudesk.core.xlsx import DATE_FORMAT, MONEY_FORMAT, XLSX_TYPE
from ioudesk.ious.models import Classification, IouKind, Status

__all__ = ["XLSX_TYPE", "iou_list_xlsx"]

EXPORT_PERMISSION = "reports.export_reports"
MAX_ROWS = 1_000_000  # an .xlsx sheet holds 1,048,576 rows
CHUNK = 2000
RATE_FORMAT = "0.00%"

COLUMNS = (  # (key, label, kind)
    ("number", _("借据编号"), "text"), ("kind", _("类型"), "text"), ("customer_name", _("债务人"), "text"),
    ("customer_number", _("客户编号"), "text"), ("branch_name", _("所属网点"), "text"), ("officer", _("客户经理"), "text"),
    ("product_name", _("产品"), "text"), ("principal", _("本金"), "money"), ("principal_outstanding", _("未还本金"), "money"),
    ("interest_outstanding", _("未还利息"), "money"), ("penalty_outstanding", _("未还罚息"), "money"),
    ("fee_outstanding", _("未还费用"), "money"), ("total", _("未还合计"), "money"), ("annual_rate", _("年利率"), "rate"),
    ("term", _("期数"), "int"), ("contract_date", _("借款/欠款日期"), "date"), ("disbursed_on", _("放款/生效日"), "date"),
    ("maturity_date", _("最后到期日"), "date"), ("status", _("状态"), "text"), ("days_past_due", _("逾期天数"), "int"),
    ("bucket", _("账龄"), "text"), ("classification", _("五级分类"), "text"),
)
FIELDS = ("number", "kind", "customer__name", "customer__number", "branch__name", "officer__last_name",
          "officer__first_name", "officer__username", "product__name", "principal", "principal_outstanding",
          "interest_outstanding", "penalty_outstanding", "fee_outstanding", "annual_rate", "term", "contract_date",
          "disbursed_on", "maturity_date", "status", "days_past_due", "bucket", "classification")


def _rows(queryset: QuerySet):
    statuses, kinds, tiers = dict(Status.choices), dict(IouKind.choices), dict(Classification.choices)
    values = queryset.order_by(F("id").desc()).values(*FIELDS)
    for row in values.iterator(chunk_size=CHUNK):
        officer = person_name(row["officer__last_name"], row["officer__first_name"]) or row["officer__username"] or ""
        yield {
            "number": row["number"], "kind": str(kinds.get(row["kind"], row["kind"])),
            "customer_name": row["customer__name"], "customer_number": row["customer__number"],
            "branch_name": row["branch__name"], "officer": officer, "product_name": row["product__name"] or "",
            "principal": row["principal"], "principal_outstanding": row["principal_outstanding"],
            "interest_outstanding": row["interest_outstanding"], "penalty_outstanding": row["penalty_outstanding"],
            "fee_outstanding": row["fee_outstanding"],
            "total": row["principal_outstanding"] + row["interest_outstanding"] + row["penalty_outstanding"]
            + row["fee_outstanding"],
            "annual_rate": row["annual_rate"], "term": row["term"], "contract_date": row["contract_date"],
            "disbursed_on": row["disbursed_on"], "maturity_date": row["maturity_date"],
            "status": str(statuses.get(row["status"], row["status"])), "days_past_due": row["days_past_due"],
            "bucket": row["bucket"], "classification": str(tiers.get(row["classification"], row["classification"] or "")),
        }


def iou_list_xlsx(*, queryset: QuerySet, user, conditions: list[tuple[str, str]] = ()) -> tuple[bytes, str, int]:
    """(content, file name, rows) of the IOU list `queryset` (already filtered as the list shows it) within
    the user's data scope."""
    if not user.has_perm(EXPORT_PERMISSION) or not user.has_perm("ious.view_iou"):
        raise PermissionDenied(_t("您没有导出借据列表的权限。"))
    queryset = scope.scope_queryset(user, queryset)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_t("借据"))
    for index, (_key, _label, kind) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 20 if kind in ("text", "money", "date") else 10
    bold = Font(bold=True)

    def cell(value, kind="text", *, font=None, fill=None):
        c = WriteOnlyCell(sheet, value=value)
        if kind == "money" and value is not None:
            c.number_format = MONEY_FORMAT
        elif kind == "date" and value is not None:
            c.number_format = DATE_FORMAT
        elif kind == "rate" and value is not None:
            c.number_format = RATE_FORMAT
        if font:
            c.font = font
        if fill:
            c.fill = fill
        return c

    sheet.append([cell(_t("借据列表"), font=Font(bold=True, size=14))])
    sheet.append([cell(_t("营业日")), cell(clock.today().isoformat())])
    for label, text in conditions:
        sheet.append([cell(label), cell(text)])
    header_fill = PatternFill("solid", fgColor="EDE9FE")
    header = []
    for _key, label, _kind in COLUMNS:
        c = cell(str(label), font=bold, fill=header_fill)
        c.alignment = Alignment(horizontal="center")
        header.append(c)
    sheet.append(header)
    count = 0
    for row in _rows(queryset):
        if count >= MAX_ROWS:
            sheet.append([cell(_t("超过 %(n)s 行，其余未导出；请缩小筛选范围。") % {"n": f"{MAX_ROWS:,}"})])
            break
        sheet.append([cell(row[key], kind) for key, _label, kind in COLUMNS])
        count += 1
    sheet.append([cell(_t("共 %(n)s 笔；导出时间 %(time)s") % {
        "n": f"{count:,}", "time": timezone.localtime(timezone.now()).strftime("%Y-%m-%d %H:%M")})])
    buffer = BytesIO()
    workbook.save(buffer)
    name = f"{_t('借据列表')}-{clock.today():%Y%m%d}.xlsx"
    audit.record(AuditAction.DOWNLOAD, verb=_t("导出借据列表"), object_repr=_t("借据列表"),
                 changes={"rows": [None, count], "file": [None, name],
                          "conditions": [None, dict(conditions)]})
    return buffer.getvalue(), name, count
