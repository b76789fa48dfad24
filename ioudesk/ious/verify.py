"""The IOU's half of `ioudesk ledger verify`: every IOU's stored balances equal its postings.

Streamed, in bounded memory whatever the number of IOUs: the IOUs are taken in ranges of ids
(`CHUNK` at a time, walking to the next id that exists, so sparse ids cost nothing), and for each
range the database sums the postings per IOU and component and compares them with the stored
columns (all integer fen), handing back only the IOUs that differ. The findings come out in IOU id
order, then the ledger IOU ids with no IOU, as a generator of lines.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection

from ioudesk.calc.money import format_yuan, from_fen
from ioudesk.ious.models import Iou
from ioudesk.ious.services.ledgering import BALANCE_FIELDS
from ioudesk.ledger.models import NormalSide, Posting
from ioudesk.ledger.selectors import _component_accounts

LABELS = {"principal": "未还本金", "interest": "未还利息", "penalty": "未还罚息", "fee": "未还费用",
          "overpayment": "溢缴款", "written_off_principal": "表外核销本金", "written_off_interest": "表外核销利息"}

CHUNK = 50_000  # IOU ids per range: a few MB in the database's hands, nothing held here


def _ledger_sums_sql(components: dict[int, tuple[str, str]]) -> tuple[str, list[str]]:
    """SELECT iou_id, <one signed sum per component> over postings of IOUs lo ≤ id < hi."""
    columns = []
    for component in BALANCE_FIELDS:
        debit_normal = sorted(pk for pk, (c, side) in components.items() if c == component and side == NormalSide.DEBIT)
        credit_normal = sorted(pk for pk, (c, side) in components.items() if c == component and side != NormalSide.DEBIT)
        cases = []
        if debit_normal:
            cases.append(f"WHEN account_id IN ({', '.join(map(str, debit_normal))}) THEN debit - credit")
        if credit_normal:
            cases.append(f"WHEN account_id IN ({', '.join(map(str, credit_normal))}) THEN credit - debit")
        columns.append(f"SUM(CASE {' '.join(cases)} ELSE 0 END)" if cases else "0")
    names = [f"c_{component}" for component in BALANCE_FIELDS]
    account_ids = ", ".join(map(str, sorted(components))) or "NULL"
    posting = connection.ops.quote_name(Posting._meta.db_table)
    sql = (f"SELECT iou_id, {', '.join(f'{col} AS {name}' for col, name in zip(columns, names, strict=True))} "
           f"FROM {posting} WHERE iou_id >= %s AND iou_id < %s AND account_id IN ({account_ids}) GROUP BY iou_id")
    return sql, names


def iou_balances_differences() -> Iterator[str]:
    components = _component_accounts()
    sums, names = _ledger_sums_sql(components)
    iou_table = connection.ops.quote_name(Iou._meta.db_table)
    posting = connection.ops.quote_name(Posting._meta.db_table)
    stored = [Iou._meta.get_field(field).column for field in BALANCE_FIELDS.values()]
    differs = " OR ".join(f"i.{col} <> COALESCE(l.{name}, 0)" for col, name in zip(stored, names, strict=True))
    compare = (f"SELECT i.id, i.number, {', '.join(f'i.{c}' for c in stored)}, "
               f"{', '.join(f'COALESCE(l.{n}, 0)' for n in names)} "
               f"FROM {iou_table} i LEFT JOIN ({sums}) l ON l.iou_id = i.id "
               f"WHERE i.id >= %s AND i.id < %s AND ({differs}) ORDER BY i.id")
    account_ids = ", ".join(map(str, sorted(components))) or "NULL"
    orphans = (f"SELECT DISTINCT p.iou_id FROM {posting} p WHERE p.iou_id >= %s AND p.iou_id < %s "
               f"AND p.account_id IN ({account_ids}) "
               f"AND NOT EXISTS (SELECT 1 FROM {iou_table} i WHERE i.id = p.iou_id) ORDER BY p.iou_id")
    first_iou = f"SELECT MIN(id) FROM {iou_table} WHERE id >= %s"
    first_posting = f"SELECT MIN(iou_id) FROM {posting} WHERE iou_id >= %s"
    width = len(BALANCE_FIELDS)
    orphan_ids: list[int] = []  # rare by construction (the IOU row is PROTECTed): listed at the end
    with connection.cursor() as cursor:
        lo = None
        while True:
            starts = []
            for sql in (first_iou, first_posting):
                cursor.execute(sql, [lo if lo is not None else -(2**62)])
                value = cursor.fetchone()[0]
                if value is not None:
                    starts.append(int(value))
            if not starts:
                break
            lo = min(starts)
            hi = lo + CHUNK
            cursor.execute(compare, [lo, hi, lo, hi])
            for row in cursor.fetchall():
                number, own, posted = row[1], row[2:2 + width], row[2 + width:]
                for component, amount, ledger in zip(BALANCE_FIELDS, own, posted, strict=True):
                    if int(amount) != int(ledger):
                        yield (f"借据 {number}：{LABELS[component]} 账面 {format_yuan(from_fen(int(amount)))}，"
                               f"总账 {format_yuan(from_fen(int(ledger)))}")
            cursor.execute(orphans, [lo, hi])
            orphan_ids.extend(int(row[0]) for row in cursor.fetchall())
            lo = hi
    for iou_id in orphan_ids:
        yield f"总账中有借据ID {iou_id} 的分录，但借据不存在"
