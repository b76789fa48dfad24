"""M: MonthEndMove — the five-tier and bucket moves between two month ends, written once per month end
and read by 五级分类 (tiers, migration matrix) and 回收 (roll rates).

A hand-built portfolio over two month ends (the snapshot rows written here, as A's snapshot would have
frozen them), business date 2026-11-10. Branches 总部 (HO) and its sub-branch 东城 (DC):

| IOU | branch | 2026-09-30 (status, tier, bucket, balance) | 2026-10-31 |
|---|---|---|---|
| A | HO | active 正常 M0 10,000 | active 正常 M0 9,000 |
| B | HO | active 正常 M0 20,000 | overdue 关注 M1 20,000 |
| C | HO | overdue 关注 M1 30,000 | overdue 次级 M2 30,000 |
| D | DC | overdue 次级 M3 40,000 | written_off 损失 M4 0 |
| E | DC | active 正常 M0 5,000 | settled 正常 M0 0 |
| F | DC | overdue 关注 M2 8,000 | active 正常 M0 8,000 (cured) |
| G | HO | active 正常 M0 7,000 | — (no row: gone) |
| H | DC | — (new) | active 正常 M0 50,000 |
| K | HO | settled 正常 M0 0 (settled in September) | — |

At 10-31 live: 正常 A + F + H = 3, 67,000; 关注 B 20,000; 次级 C 30,000: 117,000.
Migration (live at 09-30): 正常 A, B, E, G (42,000) → 正常 1, 关注 1, 结清 2 (E settled, G gone);
关注 C, F (38,000) → 次级 1, 正常 1; 次级 D (40,000) → 核销 1. Worse: B, C, D = 3.
Roll: M0 (A, B, E, G) → M0 1, M1 1, settled 1, closed 1 (25.00 %); M1 (C) → M2; M2 (F) → M0 (cured);
M3 (D) → written off.
"""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock
from ioudesk.reports import moves, portfolio, servicing, snapshots
from ioudesk.reports.model_moves import MonthEndMove, MonthEndMoveSet
from ioudesk.reports.models import DayMark, MonthEndIou, MonthSnapshot
from ioudesk.reports.params import ReportParams
from ioudesk.reports.tests.test_b_portfolio import customer, lend

TODAY = date(2026, 11, 10)
SEP, OCT = date(2026, 9, 30), date(2026, 10, 31)
STATES = {
    "A": (("active", "normal", "M0", "10000"), ("active", "normal", "M0", "9000")),
    "B": (("active", "normal", "M0", "20000"), ("overdue", "special_mention", "M1", "20000")),
    "C": (("overdue", "special_mention", "M1", "30000"), ("overdue", "substandard", "M2", "30000")),
    "D": (("overdue", "substandard", "M3", "40000"), ("written_off", "loss", "M4", "0")),
    "E": (("active", "normal", "M0", "5000"), ("settled", "normal", "M0", "0")),
    "F": (("overdue", "special_mention", "M2", "8000"), ("active", "normal", "M0", "8000")),
    "G": (("active", "normal", "M0", "7000"), None),
    "H": (None, ("active", "normal", "M0", "50000")),
    "K": (("settled", "normal", "M0", "0"), None),
}
BRANCH = {"A": "HO", "B": "HO", "C": "HO", "D": "DC", "E": "DC", "F": "DC", "G": "HO", "H": "DC", "K": "HO"}


def snapshot_rows(ious, month, side):
    MonthSnapshot.objects.get_or_create(month_end=month, defaults={"iou_count": 0})
    for key, states in STATES.items():
        state = states[side]
        if state is None:
            continue
        status, tier, bucket, balance = state
        iou = ious[key]
        MonthEndIou.objects.create(
            month_end=month, iou=iou, customer_id=iou.customer_id, branch_id=iou.branch_id, product_id=iou.product_id,
            officer_id=iou.officer_id, kind=iou.kind, status=status, classification=tier, bucket=bucket,
            guarantee="credit", purpose="other", contract_date=iou.contract_date, principal=iou.principal,
            principal_outstanding=D(balance), written_off_principal=D("40000") if status == "written_off" else 0)


@pytest.fixture
def book(organisation, head_office, make_branch, manager, approver, finance):
    dongcheng = make_branch("DC", "东城", parent=head_office)
    people = {"HO": customer("王建国", head_office, manager, "13901012345", id_number="11010519491231002X"),
              "DC": customer("李娜", dongcheng, manager, "13901012346", id_number="110101199003077571")}
    ious = {key: lend(people[BRANCH[key]], manager, approver, finance, principal="50000", on=date(2026, 11, 1),
                      due=date(2026, 12, 31)) for key in STATES}
    snapshot_rows(ious, SEP, 0)
    snapshot_rows(ious, OCT, 1)
    moves.moves_write(SEP)
    moves.moves_write(OCT)
    return {"dongcheng": dongcheng, **ious}


def run(fn, user, **kwargs):
    with clock.frozen(TODAY):
        return fn(ReportParams(**kwargs), user)


def cells(month, **where):
    """The stored rows of `month` as {(from_state, from_class, from_bucket, to_state, to_class, to_bucket):
    (count, from_balance, to_balance)}."""
    out = {}
    for row in MonthEndMove.objects.filter(month_end=month, live=False, **where):
        key = (row.from_state, row.from_class, row.from_bucket, row.to_state, row.to_class, row.to_bucket)
        count, before, after = out.get(key, (0, D("0.00"), D("0.00")))
        out[key] = (count + row.count, before + row.from_balance, after + row.to_balance)
    return out


def test_the_month_end_writes_each_move_with_new_and_gone_ious(book):
    found = cells(OCT)
    assert found == {
        ("live", "normal", "M0", "live", "normal", "M0"): (1, D("10000.00"), D("9000.00")),  # A
        ("live", "normal", "M0", "live", "special_mention", "M1"): (1, D("20000.00"), D("20000.00")),  # B
        ("live", "special_mention", "M1", "live", "substandard", "M2"): (1, D("30000.00"), D("30000.00")),  # C
        ("live", "substandard", "M3", "written_off", "loss", "M4"): (1, D("40000.00"), D("0.00")),  # D
        ("live", "normal", "M0", "settled", "normal", "M0"): (1, D("5000.00"), D("0.00")),  # E
        ("live", "special_mention", "M2", "live", "normal", "M0"): (1, D("8000.00"), D("8000.00")),  # F
        ("live", "normal", "M0", "gone", "", ""): (1, D("7000.00"), D("0.00")),  # G
        ("new", "", "", "live", "normal", "M0"): (1, D("0.00"), D("50000.00")),  # H
        ("settled", "normal", "M0", "gone", "", ""): (1, D("0.00"), D("0.00")),  # K
    }
    # by branch: 东城 holds D, E, F, H
    assert sum(c for c, _b, _a in cells(OCT, branch=book["dongcheng"]).values()) == 4
    stored = MonthEndMoveSet.objects.get(month_end=OCT, live=False)
    assert (stored.previous, stored.as_of) == (SEP, OCT)
    # the first month end (nothing frozen before it): every IOU new
    assert {key[0] for key in cells(SEP)} == {"new"}
    assert MonthEndMoveSet.objects.get(month_end=SEP, live=False).previous is None


def test_five_tier_reads_the_moves(book, admin_user_zh, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        result = run(portfolio.five_tier, admin_user_zh, month=OCT)
    tiers = {row["tier"]: (row["count"], row["principal_outstanding"]) for row in result.tables[0].rows}
    assert tiers == {"正常": (3, D("67000.00")), "关注": (1, D("20000.00")), "次级": (1, D("30000.00")),
                     "可疑": (0, D("0.00")), "损失": (0, D("0.00"))}
    matrix = {row["tier"]: row for row in result.tables[1].rows}
    assert (matrix["正常"]["to_normal"], matrix["正常"]["to_special_mention"], matrix["正常"]["to_settled"],
            matrix["正常"]["count"], matrix["正常"]["balance"], matrix["正常"]["worse"]) == (1, 1, 2, 4, D("42000.00"), 1)
    assert (matrix["关注"]["to_substandard"], matrix["关注"]["to_normal"], matrix["关注"]["balance"]) == (
        1, 1, D("38000.00"))
    assert (matrix["次级"]["to_written_off"], matrix["次级"]["balance"]) == (1, D("40000.00"))
    assert result.tables[1].totals["worse"] == 3
    assert result.source == "snapshot"


def test_roll_rates_read_the_moves(book, admin_user_zh):
    result = run(servicing.recovery_report, admin_user_zh, date_from=date(2026, 11, 1), date_to=TODAY, month=OCT)
    rows = {row["bucket"]: row for row in result.tables[2].rows}
    assert (rows["M0"]["count"], rows["M0"]["M0"], rows["M0"]["M1"], rows["M0"]["settled"], rows["M0"]["closed"],
            rows["M0"]["roll_forward"], rows["M0"]["balance"]) == (4, 1, 1, 1, 1, D("25.00"), D("42000.00"))
    assert (rows["M1"]["M2"], rows["M1"]["roll_forward"], rows["M1"]["cure"]) == (1, D("100.00"), D("0.00"))
    assert (rows["M2"]["M0"], rows["M2"]["cure"]) == (1, D("100.00"))
    assert (rows["M3"]["written_off"], rows["M3"]["roll_forward"]) == (1, D("0.00"))
    assert result.tables[2].totals["count"] == 7


@pytest.mark.parametrize("filters", [{}, {"branch": True}, {"kind": "loan"}, {"kind": "debt"}])
def test_stored_rows_equal_the_computation_from_the_snapshots(book, admin_user_zh, filters):
    params = ReportParams(branch_id=book["dongcheng"].pk if filters.get("branch") else None)
    kind = filters.get("kind", "")
    with clock.frozen(TODAY):
        stored = moves.month_moves(admin_user_zh, params, OCT, kind=kind)
        computed = moves._computed(admin_user_zh, params, kind, SEP, OCT)
    assert normalised(stored.rows) == normalised(computed)
    if kind != "debt":
        assert stored.rows


def normalised(rows):
    out = {}
    for row in rows:
        key = tuple(row[s] for s in moves.STATES)
        count, before, after = out.get(key, (0, D("0.00"), D("0.00")))
        out[key] = (count + row["count"], before + row["from_balance"], after + row["to_balance"])
    return out


def test_a_branch_user_sees_only_the_branch(book, make_staff):
    east = make_staff("wangfang_m", role="客户经理", branch=book["dongcheng"])
    result = run(portfolio.five_tier, east, month=OCT)
    tiers = {row["tier"]: (row["count"], row["principal_outstanding"]) for row in result.tables[0].rows}
    assert (tiers["正常"], tiers["关注"], tiers["次级"]) == ((2, D("58000.00")), (0, D("0.00")), (0, D("0.00")))  # F, H
    matrix = {row["tier"]: row for row in result.tables[1].rows}
    assert (matrix["正常"]["to_settled"], matrix["关注"]["to_normal"], matrix["次级"]["to_written_off"],
            matrix["正常"]["count"]) == (1, 1, 1, 1)  # E, F, D


def test_a_customer_filter_is_computed_from_the_snapshots(book, admin_user_zh):
    result = run(portfolio.five_tier, admin_user_zh, month=OCT, customer_kind="company")
    assert result.tables[0].totals["count"] == 0
    result = run(portfolio.five_tier, admin_user_zh, month=OCT, customer_kind="individual")
    assert result.tables[0].totals["principal_outstanding"] == D("117000.00")


def test_rewritten_snapshot_rows_are_not_read_from_stale_moves(book, admin_user_zh):
    MonthEndIou.objects.filter(month_end=OCT, iou=book["H"]).delete()  # the last row of the month: H
    result = run(portfolio.five_tier, admin_user_zh, month=OCT)
    assert result.tables[0].totals["principal_outstanding"] == D("67000.00")  # 117,000 − H 50,000


def test_a_version_bump_rewrites_every_snapshot(book, monkeypatch):
    for snap in MonthSnapshot.objects.all():
        MonthSnapshot.objects.filter(pk=snap.pk).update(totals={"derived": {"moves": moves.VERSION}})
    MonthEndMove.objects.filter(month_end=OCT).delete()
    bumped = snapshots.MonthEndWriter(name="moves", version=moves.VERSION + 1, write=moves.moves_write)
    monkeypatch.setitem(snapshots.MONTH_END_WRITERS, "moves", bumped)
    assert snapshots.derived_backfill() == 2
    assert MonthSnapshot.objects.get(month_end=OCT).totals["derived"]["moves"] == moves.VERSION + 1
    assert sum(c for c, _b, _a in cells(OCT).values()) == 9
    assert snapshots.derived_backfill() == 0


def test_the_month_not_yet_frozen(book, admin_user_zh):
    # right after the 10-31 close (no close since): every IOU stands where the snapshot has it
    with clock.frozen(TODAY):
        result = portfolio.five_tier(ReportParams(), admin_user_zh)
    assert result.source == "live"
    assert any("数据截至 2026-10-31 日终" in note for note in result.notes)
    assert result.tables[0].totals["principal_outstanding"] == D("117000.00")
    matrix = {row["tier"]: row for row in result.tables[1].rows}
    assert (matrix["正常"]["to_normal"], matrix["关注"]["to_special_mention"], matrix["次级"]["to_substandard"],
            result.tables[1].totals["count"], result.tables[1].totals["worse"]) == (3, 1, 1, 5, 0)
    # the close of 11-09 writes the moves from 10-31 to the IOUs as they stand (all 正常, live: lent 11-01 to 12-31)
    DayMark.objects.create(day=date(2026, 11, 9))
    assert moves.moves_day_write(date(2026, 11, 9), latest=True) > 0
    with clock.frozen(TODAY):
        result = portfolio.five_tier(ReportParams(), admin_user_zh)
        computed = moves._computed(admin_user_zh, ReportParams(), "", OCT, None)
        stored = moves.current_moves(admin_user_zh, ReportParams())
    assert any("数据截至 2026-11-09 日终" in note for note in result.notes)
    # the IOUs as they stand: A … K lent to 12-31, all live and 正常: 9 × 50,000
    assert result.tables[0].rows[0]["count"] == 9
    assert stored.source == "close"
    assert normalised(stored.rows) == normalised(computed)
    matrix = {row["tier"]: row for row in result.tables[1].rows}
    # 10-31 live: A, F, H 正常 → 正常; B 关注 → 正常; C 次级 → 正常
    assert (matrix["正常"]["to_normal"], matrix["关注"]["to_normal"], matrix["次级"]["to_normal"]) == (3, 1, 1)
    # a later day writes only while it is the latest; a month end leaves the snapshot's rows to stand for it
    assert moves.moves_day_write(date(2026, 11, 8), latest=False) == 0
    assert moves.moves_day_write(date(2026, 11, 30), latest=True) == 0
    assert not MonthEndMove.objects.filter(live=True).exists()
