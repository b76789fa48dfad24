"""A debt in collection for the letter and evidence tests (H4), built through the real services.

¥12,000.00 lent on 2026-03-02 for one month at 12 % a year, bullet: ¥12,120.00 due 2026-04-02
(interest ¥120.00). Not paid; the penalty is the contract rate plus 50 % = 18 % a year on the
overdue principal, a 360-day year: ¥12,000 × 0.18 / 360 = ¥6.00 a day.

* 2026-04-03 the close: overdue; limitation 2026-04-02 + 3 years = 2029-04-02 (民法典 188/189).
* 2026-04-20 the debtor pays ¥150.00: the penalty to the day first (18 days × ¥6.00 = ¥108.00),
  then interest ¥42.00; left ¥78.00 interest and all the principal. A partial payment after the
  due date interrupts the limitation period: 2026-04-20 + 3 years = 2029-04-20 (第195条).
* 2026-05-12 the business date: penalty since 04-20, 22 days × ¥6.00 = ¥132.00.
  Owed: principal ¥12,000.00 + interest ¥78.00 + penalty ¥132.00 + fees ¥0.00 = ¥12,210.00.
"""

import re
import shutil
import subprocess
from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ioudesk.core import clock
from ioudesk.documents.tests.conftest import make_loan
from ioudesk.ious.services.accrual import iou_close_day
from ioudesk.ious.services.repayment import iou_repay

BEIJING = ZoneInfo("Asia/Shanghai")
LETTER_DAY = date(2026, 5, 12)
DELIVERY_DAY = date(2026, 5, 15)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG_BYTES = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
             b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=BEIJING)


def pdf_upload(name="送达回执.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_words(content: bytes, tmp_path, *, raw: bool = False) -> str:
    """The PDF's text as poppler's pdftotext reads it, without white space (wrapped lines and table
    padding do not matter). ``raw``: in the order it was drawn, so a table cell's wrapped lines stay
    together. Fails when poppler-utils is missing, like the documents tests."""
    tool = shutil.which("pdftotext") or "/usr/bin/pdftotext"
    path = tmp_path / "read.pdf"
    path.write_bytes(content)
    result = subprocess.run([tool, "-raw" if raw else "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                            check=True, timeout=30)
    return squeeze(result.stdout.decode("utf-8"))


def embedded_fonts(content: bytes, tmp_path) -> list[str]:
    """pdffonts' "emb" column, one per font."""
    tool = shutil.which("pdffonts") or "/usr/bin/pdffonts"
    path = tmp_path / "fonts.pdf"
    path.write_bytes(content)
    rows = subprocess.run([tool, str(path)], capture_output=True, check=True, timeout=30).stdout.decode().splitlines()[2:]
    return [row.split()[-5] for row in rows if row.strip()]


@pytest.fixture(name="private_dir")
def private_dir_fixture(settings, tmp_path):
    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture(name="overdue_loan")
def overdue_loan_fixture(debtor, manager, approver, finance, private_dir):
    iou = make_loan(debtor, manager, approver, finance, principal="12000", term=1, method="bullet",
                    day=date(2026, 3, 2), guarantor="李明")
    with clock.frozen(date(2026, 4, 3)):
        iou_close_day(iou=iou, day=date(2026, 4, 3))
    with clock.frozen(date(2026, 4, 20)):
        iou_repay(iou=iou, amount=D("150.00"), user=finance, method="bank_transfer", reference="TX20260420001")
    with clock.frozen(LETTER_DAY):
        iou_close_day(iou=iou, day=LETTER_DAY)
    iou.refresh_from_db()
    return iou


@pytest.fixture(name="case")
def case_fixture(overdue_loan):
    from ioudesk.collections.services import case_open

    with clock.frozen(LETTER_DAY):
        return case_open(overdue_loan, day=LETTER_DAY)
