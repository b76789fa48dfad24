"""The IOU page's 证据包 link: offered by ioudesk.legal.evidence.can_download_evidence (a 催收主管 of the
branch, not a 客户经理, who has no legal.view_evidence_package) and only on an IOU that has a package
(not a draft); the link downloads the package."""

import io
import zipfile
from datetime import date

import pytest
from django.urls import reverse

from ioudesk.backoffice.tests.test_iou_pages import make_loan

pytestmark = pytest.mark.django_db

LINK = 'data-testid="iou-evidence"'


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")


def test_evidence_link_for_a_collection_manager_not_for_an_account_manager(
        client, debtor, manager, approver, finance, make_staff):
    chief = make_staff("sunli", role="催收主管")
    iou = make_loan(debtor, manager, approver, finance, day=date(2026, 10, 3))
    draft = make_loan(debtor, manager, approver, finance, day=date(2026, 10, 3), disburse=False)
    page = reverse("backoffice:iou_detail", args=[iou.pk])
    download = reverse("backoffice:evidence_package", args=[iou.pk])

    client.force_login(chief)
    html = client.get(page).content.decode()
    assert f'href="{download}" {LINK}' in html and ">证据包</a>" in html
    assert LINK not in client.get(reverse("backoffice:iou_detail", args=[draft.pk])).content.decode()
    response = client.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert "manifest.json" in names

    client.force_login(manager)  # 客户经理, the IOU's officer: no legal.view_evidence_package
    assert not manager.has_perm("legal.view_evidence_package")
    html = client.get(page).content.decode()
    assert 'data-testid="iou-page"' in html and LINK not in html
