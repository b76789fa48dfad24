"""A collector's days in the real Chromium on a phone (390 px), issue 11's second "Done when":
the daily close opens the case and gives it by rule to the collector; the collector records a call
with a recording and a promise to pay tomorrow; the next day's close finds nothing paid, breaks the
promise and escalates the case by its strategy; a 律师函 is issued and its PDF states what is owed;
its delivery is recorded with a receipt and the limitation date moves by exactly that interruption;
the evidence package is downloaded, unzipped and verified (one byte changed: refused).

The debt: ¥10,000.00 lent on 2026-01-15 at 12 % a year for one month, ¥10,100.00 (interest ¥100.00)
due on 2026-02-15 and never paid. The penalty is the contract rate plus 50 % = 18 % a year on the
overdue principal, a 360-day year: ¥10,000 × 0.18 / 360 = ¥5.00 a day.

- close of 02-16 (1 day overdue): case opened in M1 (SMS first), given by the rule "M1 电话组" to 赵磊;
- 02-17: 赵磊 phones the debtor (recording) who promises ¥5,000.00 for tomorrow, 02-18;
- closes of 02-17 and 02-18: nothing paid: the promise is broken, the case escalated to M1's
  second step (phone);
- 02-19: the 律师函, dated 02-19: principal ¥10,000.00 + interest ¥100.00 + penalty 4 days × ¥5.00
  = ¥10,120.00; limitation three years from the due date: 2029-02-15 (民法典第一百八十八条);
- 02-20: the EMS receipt comes back: its delivery on 02-20 interrupts the period, which now ends
  three years from that day (第一百九十五条): 2029-02-20.
"""

import hashlib
import io
import os
import re
import shutil
import subprocess
import wave
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Collector-pass-2026"
DUE = date(2026, 2, 15)
OPENED, CALLED, PROMISED, LETTER_DAY, DELIVERED = (DUE + timedelta(days=n) for n in (1, 2, 3, 4, 5))
PHONE = {"width": 390, "height": 844}
# Screenshots of each step when asked for: IOUDESK_SCREENSHOTS=/tmp/h6- writes /tmp/h6-1-workbench.png …
SHOTS = os.environ.get("IOUDESK_SCREENSHOTS", "")
SLOW = 20_000  # ms: a page that renders a PDF or stores files, on a loaded machine
# A photo of the signed EMS receipt (a real 1×1 PNG: the content is checked, not the name).
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def _wav() -> bytes:
    """A real (silent, 0.2 s) 8 kHz mono WAV recording."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 1600)
    return buffer.getvalue()


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}{name}.png", full_page=True)


def _plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _business_date(day: date) -> None:
    """What the live server's pages take as today (the organisation's business date)."""
    from ioudesk.core.models import Organisation

    Organisation.objects.update(business_date=day)


def _close(day: date) -> None:
    """The daily close of ``day`` (the same service the 日终 page and `ioudesk close-day` run)."""
    from ioudesk.closing import services as closing
    from ioudesk.core import clock

    _business_date(day)
    with clock.frozen(day):
        closing.close_execute(through=day, origin="command")


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(content)
    tool = shutil.which("pdftotext") or "/usr/bin/pdftotext"
    out = subprocess.run([tool, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, timeout=30)
    return re.sub(r"\s+", "", out.stdout.decode("utf-8"))


@pytest.fixture
def debt(debtor, manager, approver, finance, make_staff, settings, tmp_path):
    from ioudesk.collections.models import AssignmentRule
    from ioudesk.collections.services import assignment_rule_save, strategy_defaults_ensure
    from ioudesk.core import clock
    from ioudesk.core.models import User
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse

    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    collector = make_staff("zhaolei", role="催收员", password=PASSWORD)
    User.objects.filter(pk=collector.pk).update(last_name="赵", first_name="磊")
    strategy_defaults_ensure()
    rule = assignment_rule_save(rule=AssignmentRule(order=1, name="M1 电话组", buckets="M1"), collectors=[collector])
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=Decimal("10000"), term=1, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    iou.refresh_from_db()
    assert iou.maturity_date == DUE
    return iou, collector, rule


def test_a_collector_from_the_overdue_day_to_the_verified_evidence_package(live_server, page, debt, tmp_path):
    from ioudesk.collections.models import Case, ContactAttachment, ContactRecord, Promise
    from ioudesk.ious.models import LimitationEvent

    iou, collector, rule = debt
    base = live_server.url
    daily_penalty = Decimal("10000.00") * Decimal("0.18") / 360  # ¥5.00
    interest = Decimal("10000.00") * Decimal("0.12") / 12  # ¥100.00, one month

    # --- the close of 02-16: the case, opened and given by the rule ------------------------------
    _close(OPENED)
    case = Case.objects.get(iou=iou)
    assert (case.opened_on, case.bucket, case.owner_id) == (OPENED, "M1", collector.pk)
    assignment = case.assignments.get()
    assert (assignment.method, assignment.rule_id, assignment.by) == ("rule", rule.pk, None)
    _business_date(CALLED)

    # --- 02-17, on the phone: the workbench, the case, the call ---------------------------------
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/admin/login/")
    page.get_by_label("用户名").fill("zhaolei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{base}/admin/collection/")
    expect(page.get_by_test_id("collections-workbench")).to_contain_text(f"营业日 {CALLED.isoformat()}")
    card = page.get_by_test_id("case-card")
    expect(card).to_have_count(1, timeout=SLOW)
    expect(card).to_contain_text("王建国")
    # 截至今日欠款: the penalty to the business date (2 days), not the ¥10,105.00 the close of 02-16 posted
    owed_today = Decimal("10000.00") + interest + (CALLED - DUE).days * daily_penalty
    expect(card).to_contain_text(f"¥{owed_today:,.2f}")
    assert owed_today == Decimal("10110.00")
    expect(card).to_contain_text("M1 · 逾期 1 天")  # as of the last close
    expect(card).to_contain_text(case.number)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "1-workbench")

    card.get_by_role("link", name="王建国").click()
    expect(page.get_by_test_id("case-page")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("case-owner")).to_contain_text("赵磊")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "2-case-opened")

    page.get_by_test_id("record-contact").click()
    expect(page.get_by_test_id("contact-form")).to_be_visible(timeout=SLOW)
    page.get_by_label("债务人：王建国").check()
    page.get_by_label("联系时间").fill(f"{CALLED.isoformat()}T10:30")
    page.get_by_label("结果").select_option("promised")
    page.get_by_label("沟通内容").fill("债务人称明天先还 5000 元，余款月底前付清。")
    page.get_by_label("承诺金额").fill("5000")
    page.get_by_label("承诺还款日").fill(PROMISED.isoformat())
    recording = _wav()
    page.locator("input[name=recording]").set_input_files(
        files=[{"name": "20260217通话.wav", "mimeType": "audio/wav", "buffer": recording}])
    expect(page.locator("[data-file-name-of=recording]")).to_have_text("20260217通话.wav")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "3-call-form")
    page.get_by_test_id("save-contact").click()
    expect(page.get_by_test_id("record-page")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("attachment-sha256")).to_contain_text(hashlib.sha256(recording).hexdigest())
    expect(page.get_by_test_id("record-promise")).to_contain_text("¥5,000.00")
    _shot(page, "4-call-saved")
    promise = Promise.objects.get(case=case)
    assert (promise.amount, promise.promised_on, promise.status) == (Decimal("5000.00"), PROMISED, "pending")

    # --- the closes of 02-17 and 02-18: nothing paid ---------------------------------------------
    _close(CALLED)
    _close(PROMISED)
    promise.refresh_from_db()
    assert (promise.status, promise.paid, promise.checked_on) == ("broken", Decimal("0.00"), PROMISED)
    case.refresh_from_db()
    assert (case.stage.order, case.next_action, case.escalation_level) == (2, "phone", 1)
    _business_date(LETTER_DAY)

    # --- 02-19: the case escalated; the 律师函 ----------------------------------------------------
    page.goto(f"{base}/admin/collection/cases/{case.pk}/")
    header = page.get_by_test_id("case-header")
    expect(header).to_contain_text("已升级 1 次")
    expect(header).to_contain_text(case.stage.label or str(case.stage))
    timeline = page.get_by_test_id("case-timeline")
    expect(timeline).to_contain_text("承诺未兑现")
    expect(timeline).to_contain_text("升级")
    expect(page.get_by_test_id("timeline-promise")).to_contain_text(f"承诺 {PROMISED.isoformat()} 还 ¥5,000.00（未兑现）")
    before = _plus_years(DUE, 3)  # 民法典第一百八十八条: three years from the due date
    expect(page.get_by_test_id("case-limitation")).to_contain_text(before.isoformat())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "5-case-escalated")

    page.get_by_test_id("lawyer-letter").click()
    expect(page.get_by_test_id("letter-page")).to_be_visible(timeout=SLOW)
    owed = Decimal("10000.00") + interest + (LETTER_DAY - DUE).days * daily_penalty
    assert owed == Decimal("10120.00")
    expect(page.get_by_test_id("letter-total")).to_have_text("¥10,120.00")
    page.get_by_label("律师事务所").fill("北京正诚律师事务所")
    page.get_by_label("承办律师").fill("周明")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_test_id("letter-issue").click()
    expect(page.get_by_test_id("letter-issued")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("letter-issue")).to_be_hidden()  # folded under 再发一封函件: no second letter by a tap
    _shot(page, "6-letter-issued")
    letter = ContactRecord.objects.get(case=case, method="lawyer_letter")
    assert not letter.interruption_recorded  # sent, not yet delivered

    pdf_url = page.get_by_test_id("letter-pdf").get_attribute("href")
    with page.context.expect_page() as opened:
        page.get_by_test_id("letter-pdf").click()
    opened.value.close()
    response = page.request.get(f"{base}{pdf_url}")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    content = response.body()
    assert content.startswith(b"%PDF-")
    text = _pdf_text(content, tmp_path)
    assert "律师函" in text and "北京正诚律师事务所" in text and "王建国" in text
    assert "10,120.00" in text and "壹万零壹佰贰拾元整" in text
    assert hashlib.sha256(content).hexdigest() == letter.attachments.get().sha256

    # --- 02-20: the receipt; the limitation date moves by exactly that delivery ------------------
    _close(LETTER_DAY)
    _business_date(DELIVERED)
    page.get_by_test_id("letter-delivery").click()
    expect(page.get_by_test_id("refers-to")).to_be_visible(timeout=SLOW)
    expect(page.get_by_label("结果")).to_have_value("delivered")  # prefilled from the letter
    expect(page.get_by_label("债务人：王建国")).to_be_checked()
    expect(page.get_by_label("送达（签收）时间")).to_have_value("")  # the date on the receipt, not now
    page.get_by_label("送达（签收）时间").fill(f"{DELIVERED.isoformat()}T15:00")
    page.get_by_label("沟通内容").fill("EMS 回执：债务人本人签收。")
    page.locator("input[name=delivery_receipt]").set_input_files(
        files=[{"name": "EMS签收回执.png", "mimeType": "image/png", "buffer": PNG}])
    _shot(page, "7-delivery-form")
    page.get_by_test_id("save-contact").click()
    expect(page.get_by_test_id("record-page")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("attachment-sha256")).to_contain_text(hashlib.sha256(PNG).hexdigest())
    delivery = ContactRecord.objects.get(case=case, refers_to=letter)
    assert (delivery.outcome, delivery.interruption_recorded) == ("delivered", True)
    [event] = LimitationEvent.objects.filter(iou=iou)
    assert (event.kind, event.on, event.evidence_sha256) == ("demand", DELIVERED, hashlib.sha256(PNG).hexdigest())

    page.goto(f"{base}/admin/collection/cases/{case.pk}/")
    after = _plus_years(DELIVERED, 3)  # 第一百九十五条: three years again from the delivery
    assert after - before == DELIVERED - DUE  # moved by exactly that interruption (5 days)
    limitation = page.get_by_test_id("case-limitation")
    expect(limitation).to_contain_text(after.isoformat())
    expect(page.get_by_test_id("case-timeline")).to_contain_text("已中断诉讼时效")
    expect(page.get_by_test_id("case-timeline")).to_contain_text(f"律师函 · 已送达（{DELIVERED.isoformat()}）")
    iou.refresh_from_db()
    assert iou.limitation_expires_on == after
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "8-case-interrupted")

    # --- the evidence package: downloaded, unzipped, verified ------------------------------------
    with page.expect_download() as download:
        page.get_by_test_id("evidence").click()
    package = tmp_path / "package.zip"
    download.value.save_as(package)
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        archive.extractall(folder)
    assert "manifest.json" in names and "manifest.sha256" in names
    stored = {a.original_name for a in ContactAttachment.objects.filter(record__case=case)}
    assert {"20260217通话.wav", "EMS签收回执.png"} <= stored
    recorded = next(n for n in names if n.endswith("20260217通话.wav"))
    assert any(n.endswith("EMS签收回执.png") for n in names)
    assert (folder / recorded).read_bytes() == recording

    call_command("evidence", "verify", str(package), stdout=io.StringIO(), stderr=io.StringIO())  # the .zip: exit 0
    out = io.StringIO()
    call_command("evidence", "verify", str(folder), stdout=out, stderr=io.StringIO())  # unzipped: exit 0 (returns)
    assert "结论：完好" in out.getvalue() and f"[一致] {recorded}" in out.getvalue()
    changed = folder / recorded
    data = bytearray(changed.read_bytes())
    data[-1] ^= 0x01  # one byte of the recording
    changed.write_bytes(bytes(data))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as refused:
        call_command("evidence", "verify", str(folder), stdout=out, stderr=err)
    assert refused.value.code == 1
    assert f"[已被修改] {recorded}" in out.getvalue() and "修改 1 个" in err.getvalue()
