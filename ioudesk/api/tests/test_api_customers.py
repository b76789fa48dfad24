"""/api/v1/customers: same rules as the back office — checks, duplicates, scope, masking, audit."""

import json

import pytest

from ioudesk.api.services import api_token_issue
from ioudesk.core import audit
from ioudesk.customers.models import Customer, Tag

ID = "11010519491231002X"


@pytest.fixture
def call(client):
    def make(user):
        _, token = api_token_issue(user=user, name="测试")

        def request(method, path, payload=None):
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            if payload is not None:
                kwargs |= {"data": json.dumps(payload), "content_type": "application/json"}
            return getattr(client, method)(f"/api/v1/customers{path}", **kwargs)

        return request

    return make


@pytest.fixture
def manager(make_staff):
    return make_staff("zhangwei", role="客户经理")


def test_create_read_update_with_masking_and_audit(call, manager, business_date):
    api = call(manager)
    Tag.objects.create(name="老客户")

    created = api("post", "", {"name": "张三", "id_number": ID.lower(), "phone": "13812345678", "tags": ["老客户"],
                               "monthly_income": "8500.50"})
    body = created.json()
    customer_id = body["id"]
    patched = api("patch", f"/{customer_id}", {"employer": "华信科技", "reason": "补充单位"})

    assert created.status_code == 201, body
    assert body["number"] == "KH20261128-0001" and body["id_number_masked"] == "110105********002X"
    assert body["phone_masked"] == "138****5678" and "13812345678" not in created.content.decode()
    assert body["monthly_income"] == "8500.50" and body["tags"] == ["老客户"] and body["sex"] == "F"
    assert patched.json()["employer"] == "华信科技"
    customer = Customer.objects.get(pk=customer_id)
    assert audit.events_for(customer).filter(action="update", reason="补充单位").exists()


def test_duplicate_and_bad_id_are_answered_with_details(call, manager):
    api = call(manager)
    first = api("post", "", {"name": "张三", "id_number": ID}).json()

    duplicate = api("post", "", {"name": "张三", "id_number": ID})
    bad = api("post", "", {"name": "李四", "id_number": "110105194912310021"})

    assert duplicate.status_code == 400 and duplicate.json()["code"] == "duplicate_customer"
    assert duplicate.json()["details"][0]["number"] == first["number"]
    assert bad.status_code == 400 and "校验位" in bad.json()["message"]
    assert Customer.objects.count() == 1


def test_search_by_pinyin_initials_and_scope(call, manager, make_branch, make_staff):
    api = call(manager)
    api("post", "", {"name": "张三", "phone": "13812345678"})
    west = make_branch("W1", "西城网点")
    outsider = call(make_staff("west", role="客户经理", branch=west))

    found = api("get", "?q=zs").json()
    hidden = outsider("get", "?q=zs").json()
    own_id = found["items"][0]["id"]

    assert [c["name"] for c in found["items"]] == ["张三"] and found["count"] == 1
    assert hidden["count"] == 0
    assert outsider("get", f"/{own_id}").status_code == 404
    assert outsider("patch", f"/{own_id}", {"name": "改名"}).status_code == 404


def test_permissions_follow_the_roles(call, manager, make_staff):
    created = call(manager)("post", "", {"name": "张三"}).json()
    finance = call(make_staff("chenjing", role="财务"))

    assert finance("get", f"/{created['id']}").status_code == 200
    denied = finance("patch", f"/{created['id']}", {"name": "改名"})
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    assert finance("post", f"/{created['id']}/reveal", {"field": "phone"}).status_code == 403


def test_reveal_is_audited(call, manager):
    api = call(manager)
    created = api("post", "", {"name": "张三", "phone": "13812345678"}).json()

    response = api("post", f"/{created['id']}/reveal", {"field": "phone", "reason": "电话回访"})

    assert response.json() == {"field": "phone", "value": "13812345678"}
    customer = Customer.objects.get(pk=created["id"])
    assert audit.events_for(customer).filter(action="view_sensitive", reason="电话回访").count() == 1


def test_delete(call, manager):
    api = call(manager)
    created = api("post", "", {"name": "临时客户"}).json()

    assert api("delete", f"/{created['id']}").status_code == 204
    assert not Customer.objects.exists()


def test_files_upload_list_download_through_the_api(client, manager, settings, tmp_path):
    import io

    from PIL import Image

    from ioudesk.api.services import api_token_issue

    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    _, token = api_token_issue(user=manager, name="测试")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    created = client.post("/api/v1/customers", json.dumps({"name": "张三"}), content_type="application/json",
                          **auth).json()
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 0, 255)).save(buffer, format="PNG")
    png = buffer.getvalue()

    upload = client.post(f"/api/v1/customers/{created['id']}/files",
                         {"file": _named(png, "身份证.png"), "kind": "id_front"}, **auth)
    fake = client.post(f"/api/v1/customers/{created['id']}/files",
                       {"file": _named(b"MZ\x90\x00" + b"\x00" * 200, "合同.pdf"), "kind": "contract"}, **auth)
    listing = client.get(f"/api/v1/customers/{created['id']}/files", **auth).json()
    download = client.get(upload.json()["download_url"], **auth)

    assert upload.status_code == 201, upload.json()
    assert fake.status_code == 400 and "PDF" in fake.json()["message"]
    assert [row["original_name"] for row in listing] == ["身份证.png"]
    assert b"".join(download.streaming_content) == png
    row = Customer.objects.get(pk=created["id"]).files.get()
    assert audit.events_for(row).filter(action="download").count() == 1


def test_follow_ups_through_the_api(call, manager):
    api = call(manager)
    created = api("post", "", {"name": "张三"}).json()

    recorded = api("post", f"/{created['id']}/follow-ups",
                   {"channel": "wechat", "content": "微信沟通还款安排", "next_action": "下周回访",
                    "next_action_on": "2099-01-05"})
    empty = api("post", f"/{created['id']}/follow-ups", {"channel": "phone", "content": ""})
    listing = api("get", f"/{created['id']}/follow-ups").json()

    assert recorded.status_code == 201, recorded.json()
    assert empty.status_code == 400
    assert [row["content"] for row in listing] == ["微信沟通还款安排"]


def _named(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)
