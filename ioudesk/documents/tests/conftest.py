"""IOUs to print, built through the real services (as in ioudesk/ious/tests/test_iou_life.py), and
the PDF tools: the Chinese font and poppler's pdftotext/pdffonts/pdftoppm. Without them the tests
fail with the reason: `make test` installs fonts-wqy-microhei and poppler-utils
(scripts/system-packages), and a silent skip would hide a broken document."""

import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay

POPPLER = {name: shutil.which(name) or f"/usr/bin/{name}" for name in ("pdftotext", "pdffonts", "pdftoppm")}


def _require(ok: bool, reason: str) -> None:
    if ok:
        return
    pytest.fail(f"{reason}; run scripts/system-packages", pytrace=False)


@pytest.fixture
def pdf_font():
    from ioudesk.documents.pdf import font_path

    path = font_path()
    _require(os.path.isfile(path), f"the PDF font {path} is missing (apt-get install fonts-wqy-microhei)")
    return path


@pytest.fixture
def poppler(pdf_font):
    missing = [name for name, path in POPPLER.items() if not os.path.isfile(path)]
    _require(not missing, f"poppler-utils is missing ({', '.join(missing)}; apt-get install poppler-utils)")
    return POPPLER


@pytest.fixture
def pdf_text(poppler, tmp_path):
    """The text of a PDF as pdftotext reads it (layout kept, so table rows stay on one line)."""

    def read(content: bytes) -> str:
        path = tmp_path / "document.pdf"
        path.write_bytes(content)
        result = subprocess.run([poppler["pdftotext"], "-layout", "-enc", "UTF-8", str(path), "-"],
                                capture_output=True, check=True, timeout=30)
        return result.stdout.decode("utf-8")

    return read


@pytest.fixture
def pdf_fonts(poppler, tmp_path):
    """pdffonts' table rows: [(name, embedded)]."""

    def read(content: bytes) -> list[tuple[str, str]]:
        path = tmp_path / "fonts.pdf"
        path.write_bytes(content)
        out = subprocess.run([poppler["pdffonts"], str(path)], capture_output=True, check=True, timeout=30)
        rows = out.stdout.decode().splitlines()[2:]
        # name type encoding emb sub uni object ID: "emb" is the 4th field from the right after the object id
        return [(row.split()[0], row.split()[-5]) for row in rows if row.strip()]

    return read


def make_loan(debtor, manager, approver, finance, *, principal="10000", term=12, rate="12%",  # noqa: F811
              method="equal_installment", day=date(2026, 1, 15), **fields) -> Iou:
    with clock.frozen(day):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D(principal), term=term, rate_text=rate,
                                    method=method, contract_date=day, **fields), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver, comment="同意")
        iou_disburse(iou=iou, user=finance)
    iou.refresh_from_db()
    return iou


@pytest.fixture
def loan(debtor, manager, approver, finance):  # noqa: F811
    """¥10,000 at 12 % a year, 12 equal monthly installments of ¥888.49 from 2026-01-15."""
    return make_loan(debtor, manager, approver, finance, guarantor="李明", witness="赵强", reason="购买生产设备")


@pytest.fixture
def repayment(loan, finance):  # noqa: F811
    with clock.frozen(date(2026, 2, 15)):
        return iou_repay(iou=loan, amount="888.49", user=finance, method="bank_transfer", reference="TX20260215001",
                         payer="王建国")


@pytest.fixture
def goods_debt(debtor, manager, approver, finance):  # noqa: F811
    """A 欠条 for goods: ¥58,000.00, no interest, 月结30天 from 2026-11-28."""
    with clock.frozen(date(2026, 11, 28)):
        iou, _ = iou_create(iou=Iou(kind="debt", debt_reason="goods", reason="2026年11月钢材货款", customer=debtor,
                                    principal=D("58000.00"), rate_text="0%", payment_terms="net_30",
                                    contract_date=date(2026, 11, 28)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    iou.refresh_from_db()
    return iou


@pytest.fixture
def settled_loan(debtor, manager, approver, finance):  # noqa: F811
    """¥10,000 for one month at 12 %, bullet: ¥10,100.00 paid on the due date settles it."""
    iou = make_loan(debtor, manager, approver, finance, term=1, method="bullet", day=date(2026, 3, 2))
    with clock.frozen(date(2026, 4, 2)):
        iou_repay(iou=iou, amount="10100.00", user=finance, method="wechat")
    iou.refresh_from_db()
    assert iou.status == "settled", iou.status
    return iou
