"""The evidence package of a real IOU in collection (letter_fixtures.py): a 催款函 issued and delivered,
the scanned original filed with the IOU, a repayment. Built, unzipped, every file where the manifest
says with its SHA-256, verified by ``ioudesk evidence verify``; one byte of the scanned original
changed and the check fails. Who may download it, and the audit event."""

import hashlib
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from ioudesk.collections.models import AttachmentKind, ContactMethod, OutcomeCode
from ioudesk.collections.services import contact_record_create
from ioudesk.core import audit, clock
from ioudesk.core.errors import PermissionDenied
from ioudesk.customers.files import customer_file_upload
from ioudesk.legal import evidence, letters
from ioudesk.legal.tests.letter_fixtures import (  # noqa: F401 (fixtures)
    DELIVERY_DAY,
    LETTER_DAY,
    PNG_BYTES,
    at,
    case_fixture,
    overdue_loan_fixture,
    pdf_upload,
    pdf_words,
    private_dir_fixture,
)


@pytest.fixture
def delivered(case, admin_user_zh, manager):
    original = customer_file_upload(customer=case.customer, iou=case.iou, kind="iou", note="借条原件扫描件",
                                    upload=SimpleUploadedFile("借条原件.png", PNG_BYTES, content_type="image/png"),
                                    user=manager)
    with clock.frozen(LETTER_DAY):
        letter = letters.demand_letter_issue(case, kind="demand", by=admin_user_zh, contacted_at=at(LETTER_DAY))
    with clock.frozen(DELIVERY_DAY):
        delivery = contact_record_create(
            case, method=ContactMethod.LETTER, party="debtor", outcome=OutcomeCode.DELIVERED,
            contacted_at=at(DELIVERY_DAY), notes="EMS 签收", by=admin_user_zh, refers_to=letter,
            attachments=[(AttachmentKind.DELIVERY_RECEIPT, pdf_upload("EMS回执.pdf"))])
    return original, letter, delivery


def test_package_built_unzipped_verified_and_tampering_caught(case, delivered, admin_user_zh, tmp_path, capsys):
    original, letter, delivery = delivered
    with clock.frozen(DELIVERY_DAY):
        content, info = evidence.evidence_package_bytes(case.iou, user=admin_user_zh)
    number = case.iou.number
    assert info.filename == f"{number}-证据包-20260515.zip"
    path = tmp_path / info.filename
    path.write_bytes(content)

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        archive.extractall(tmp_path / "unzipped")
    files = {row["path"]: row for row in manifest["files"]}
    assert set(names) == set(files) | {"manifest.json", "manifest.sha256"}
    letter_row = letter.attachments.get()
    receipt_row = delivery.attachments.get()
    expected = {
        f"01-借据/{number}-借条.pdf": "iou_document",
        "01-借据/原件-01-借条原件.png": "original",
        "02-还款计划/还款计划.pdf": "schedule",
        "03-还款记录/还款记录.pdf": "repayments",
        f"03-还款记录/{number}-HK01-还款凭证.pdf": "receipt",
        "04-催收记录/催收记录.pdf": "contacts",
        f"04-催收记录/{letter.pk:05d}-20260512-催款函/函件-{number}-CK01-催款函.pdf": "attachment:letter",
        f"04-催收记录/{delivery.pk:05d}-20260515-催款函/送达回执-EMS回执.pdf": "attachment:delivery_receipt",
        "05-诉讼时效/诉讼时效.pdf": "limitation",
        "06-时间线.pdf": "timeline",
    }
    assert {p: row["kind"] for p, row in files.items()} == expected
    unzipped = tmp_path / "unzipped"
    for name, row in files.items():
        data = (unzipped / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"] and len(data) == row["size"], name
    assert files["01-借据/原件-01-借条原件.png"]["sha256"] == original.sha256 == hashlib.sha256(PNG_BYTES).hexdigest()
    receipt_path = f"04-催收记录/{delivery.pk:05d}-20260515-催款函/送达回执-EMS回执.pdf"
    assert files[receipt_path]["recorded_sha256"] == receipt_row.sha256 == files[receipt_path]["sha256"]
    assert manifest["iou"]["number"] == number and manifest["iou"]["debtor"] == "王建国"
    assert manifest["business_date"] == "2026-05-15" and manifest["generated_by"].startswith("admin")
    assert letter_row.sha256 == files[f"04-催收记录/{letter.pk:05d}-20260512-催款函/函件-{number}-CK01-催款函.pdf"]["sha256"]

    # what the PDFs say: the limitation interruption with its evidence file, the timeline in date order
    limitation = pdf_words((unzipped / "05-诉讼时效/诉讼时效.pdf").read_bytes(), tmp_path)
    assert "诉讼时效届满日：2029-05-15" in limitation and f"证据SHA-256：{receipt_row.sha256}" in limitation
    assert "1.2026-05-15债权人催收：催款函送达，证据：送达回执EMS回执.pdf" in limitation
    assert f"包内文件：{receipt_path}" in limitation and f"来源：collections.contactrecord:{delivery.pk}" in limitation
    timeline = pdf_words((unzipped / "06-时间线.pdf").read_bytes(), tmp_path)
    order = ["出具借据", "放款", "开始逾期", "还款", f"催收记录#{letter.pk}：催款函", f"催收记录#{delivery.pk}：催款函",
             "诉讼时效中断："]  # a cell's first line: multi-line rows interleave in pdftotext
    positions = [timeline.find(item, timeline.find("全部事件（共")) for item in order]
    assert -1 not in positions and positions == sorted(positions), list(zip(order, positions, strict=True))
    contacts = pdf_words((unzipped / "04-催收记录/催收记录.pdf").read_bytes(), tmp_path)
    assert f"#{delivery.pk}2026-05-1510:00催款函·王建国（债务人）结果：已送达内容：EMS签收关联记录#{letter.pk}；已记录诉讼时效中断" in contacts
    assert f"附件：送达回执-EMS回执.pdf（SHA-256：{receipt_row.sha256}）" in contacts

    # intact: exit 0, in Chinese
    call_command("evidence", "verify", str(path))
    out = capsys.readouterr().out
    assert "结论：完好。清单中的 10 个文件全部存在" in out and f"清单SHA-256：{info.manifest_sha256}" in out
    event = audit.events_for(case.iou).get(verb="下载证据包")
    assert event.changes["manifest_sha256"] == [None, info.manifest_sha256]

    # one byte of the scanned original changed, re-zipped: exit 1 naming the file
    scan = unzipped / "01-借据/原件-01-借条原件.png"
    scan.write_bytes(scan.read_bytes()[:-1] + b"\x00")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name in names:
            archive.write(unzipped / name, name)
    with pytest.raises(SystemExit) as exit_code:
        call_command("evidence", "verify", str(tampered))
    assert exit_code.value.code == 1
    captured = capsys.readouterr()
    assert "[已被修改] 01-借据/原件-01-借条原件.png：SHA-256 应为 " + original.sha256 in captured.out
    assert "修改 1 个，缺失 0 个，多出 0 个" in captured.err
    assert not evidence.verify_package(unzipped).intact


def test_who_may_download(case, admin_user_zh, make_staff, client):
    clerk = make_staff("wangfang", role="催收员")
    assert not evidence.can_download_evidence(case.iou, clerk)  # not their case
    with pytest.raises(PermissionDenied):
        evidence.evidence_package_bytes(case.iou, user=clerk)
    from ioudesk.collections.services import case_assign

    case_assign(case, owner=clerk, by=admin_user_zh, reason="分案")
    clerk = type(clerk).objects.get(pk=clerk.pk)
    assert evidence.can_download_evidence(case.iou, clerk)  # 催收员 has legal.view_* and owns the case now

    client.force_login(clerk)
    url = reverse("backoffice:evidence_package", args=[case.iou_id])
    with clock.frozen(LETTER_DAY):
        response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert zipfile.ZipFile(__import__("io").BytesIO(body)).read("manifest.sha256").decode().startswith(
        response["X-Evidence-Manifest-SHA256"])
    other = make_staff("zhaolei", role="催收员")
    client.force_login(other)
    assert client.get(url).status_code == 403


def test_build_command(case, admin_user_zh, tmp_path, capsys):
    target = tmp_path / "package.zip"
    with clock.frozen(LETTER_DAY):
        call_command("evidence", "build", case.iou.number, "--user", "admin", "--output", str(target))
    out = capsys.readouterr().out
    assert f"已生成 {target}" in out and evidence.verify_package(target).intact
    assert not list(tmp_path.glob("*.part"))
    assert audit.events_for(case.iou).get(verb="下载证据包").actor_id == admin_user_zh.pk
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="没有启用的员工"):
        call_command("evidence", "build", case.iou.number, "--user", "nobody")
