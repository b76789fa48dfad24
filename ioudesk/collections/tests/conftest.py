import datetime as dt
from datetime import date
from decimal import Decimal

import pytest

from ioudesk.core import clock
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse

BEIJING = dt.timezone(dt.timedelta(hours=8))


def at(day: date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BEIJING)


@pytest.fixture
def make_loan(debtor, manager, approver, finance):
    """¥10,000 at 12 % a year in 12 equal monthly installments of ¥888.49, disbursed on 2026-01-15,
    first due 2026-02-15, the 客户经理 ``manager`` its officer."""

    def make(principal="10000", term=12, customer=None, **fields):
        with clock.frozen(date(2026, 1, 15)):
            iou, _ = iou_create(iou=Iou(kind="loan", customer=customer or debtor, principal=Decimal(principal),
                                        term=term, rate_text="12%", method="equal_installment",
                                        contract_date=date(2026, 1, 15), **fields), user=manager)
            iou_submit(iou=iou, user=manager)
            iou_approve(iou=iou, user=approver)
            iou_disburse(iou=iou, user=finance)
        iou.refresh_from_db()
        return iou

    return make


@pytest.fixture
def strategies(organisation):
    from ioudesk.collections.services import strategy_defaults_ensure

    strategy_defaults_ensure()


@pytest.fixture
def collector(make_staff):
    return make_staff("zhaolei", role="催收员")


@pytest.fixture
def chief(make_staff):
    """催收主管 of the head office."""
    return make_staff("sunli", role="催收主管")


def close_through(day: date) -> None:
    """Close every day up to ``day`` (the business date pinned to each day in turn)."""
    from ioudesk.closing import services as closing
    from ioudesk.closing.models import CloseSettings

    settings = CloseSettings.objects.first()
    first = (settings.closed_through + dt.timedelta(days=1)) if settings and settings.closed_through else day
    current = first
    while current <= day:
        with clock.frozen(current):
            closing.close_execute(through=current, origin="command")
        current += dt.timedelta(days=1)


@pytest.fixture
def private_dir(settings, tmp_path):
    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture
def overdue_case(strategies, make_loan, collector):
    """The loan's case, opened by the close of 2026-02-16 (installment 1 unpaid since 02-15:
    ¥888.49 + ¥0.39 penalty = ¥888.88 arrears), given to ``collector`` by hand."""
    from ioudesk.collections.models import Case
    from ioudesk.collections.services import case_assign

    make_loan(guarantor="李担保")
    close_through(date(2026, 2, 16))
    case = Case.objects.get()
    case_assign(case, owner=collector, method="hand", by=None)
    case.refresh_from_db()
    return case


MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 200
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100
EXE = b"MZ\x90\x00" + b"\x00" * 100


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
