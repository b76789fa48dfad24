"""The API never answers 5xx for bad input (defects 22, 23, 24 of issue 9): each case found by
fuzzing is a clear 4xx in the error shape with the field named, and the OpenAPI document has unique
schema names and documents the error answers of every operation."""

import json

import pytest

from ioudesk.api.services import api_token_issue
from ioudesk.customers.models import Customer


@pytest.fixture
def api(client, admin_user_zh):
    _, token = api_token_issue(user=admin_user_zh, name="测试")

    def call(method, path, payload=None, **extra):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}", **extra}
        if payload is not None:
            kwargs |= {"data": json.dumps(payload), "content_type": "application/json"}
        return getattr(client, method)(f"/api/v1{path}", **kwargs)

    return call


@pytest.fixture
def customer_id(api, business_date):
    created = api("post", "/customers", {"name": "张三", "bank_account": "6222021001123456"})
    assert created.status_code == 201, created.json()
    return created.json()["id"]


def _error(response, status_codes=(400, 422)):
    assert response.status_code in status_codes, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    return body


def _fields(body) -> set:
    return {detail.get("field") for detail in body["details"] if isinstance(detail, dict)}


@pytest.mark.parametrize("field", ["address", "employer", "id_number", "notes", "bank_account"])
def test_patch_null_text_clears_it(api, customer_id, field):
    patched = api("patch", f"/customers/{customer_id}", {field: None})

    assert patched.status_code == 200, patched.json()
    stored = Customer.objects.get(pk=customer_id)
    assert getattr(stored, field) == ""


def test_patch_null_category_is_refused_naming_it(api, customer_id):
    body = _error(api("patch", f"/customers/{customer_id}", {"category": None}))

    assert _fields(body) == {"category"} and "客户分类" in body["message"]


@pytest.mark.parametrize("value", ["0.001", "1e20", "abc", "NaN", "Infinity", "", "-1"])
def test_bad_monthly_income_is_a_4xx_naming_the_field(api, customer_id, value):
    body = _error(api("patch", f"/customers/{customer_id}", {"monthly_income": value}))

    assert _fields(body) == {"monthly_income"} and "月收入" in body["message"]
    assert Customer.objects.get(pk=customer_id).monthly_income is None


@pytest.mark.parametrize("field", ["name", "address", "employer", "notes", "industry", "bank_name", "phone",
                                   "id_number", "bank_account", "legal_representative"])
def test_text_of_100000_characters_is_refused(api, customer_id, field):
    body = _error(api("patch", f"/customers/{customer_id}", {field: "长" * 100_000}))

    assert field in _fields(body)


def test_create_refuses_what_the_import_refuses(api, make_branch, make_staff, business_date):
    west = make_branch("W1", "西城网点")
    west_manager = make_staff("west", role="客户经理", branch=west)

    income = _error(api("post", "/customers", {"name": "张三", "monthly_income": "-1"}))
    day = _error(api("post", "/customers", {"name": "张三", "acquired_on": "2100-01-01"}))
    owner = _error(api("post", "/customers", {"name": "张三", "owner_id": west_manager.pk}))
    branch = _error(api("post", "/customers", {"name": "张三", "branch_id": 987654}))

    assert _fields(income) == {"monthly_income"} and _fields(day) == {"acquired_on"}
    assert _fields(owner) == {"owner"} and "看不到该客户所在的网点" in owner["message"]
    assert _fields(branch) == {"branch"}
    assert not Customer.objects.exists()


def test_multipart_upload_without_a_boundary(api, customer_id):
    response = api("post", f"/customers/{customer_id}/files", None, data=b"--x\r\n",
                   content_type="multipart/form-data")

    assert _error(response, (400,))["code"] == "invalid_multipart"


@pytest.mark.parametrize("path", ["/ious?page=99999999999999999999999", "/customers?page=99999999999999999999999",
                                  "/ious?page=0", "/ious?page_size=100000000000000000000"])
def test_page_numbers_out_of_range(api, path, business_date):
    body = _error(api("get", path), (422,))

    assert _fields(body) & {"page", "page_size"}


def test_a_rate_of_100000_digits(api):
    for rate in ("1" * 100_000, "1" * 39, "9" * 35 + "%"):
        body = _error(api("post", "/calc/schedule", {"principal": "1000", "rate": rate, "term": 12}), (400,))
        assert body["code"] in {"invalid_rate", "rate_out_of_range"}, body


def test_database_errors_reaching_the_api_are_422_not_500(api, customer_id, monkeypatch):
    from django.core.exceptions import ValidationError
    from django.db import DataError

    from ioudesk.customers import services

    def refuse(**kwargs):
        raise ValidationError({"notes": ["太长"]})

    monkeypatch.setattr(services, "customer_update", refuse)
    body = _error(api("patch", f"/customers/{customer_id}", {"notes": "x"}), (422,))
    assert body["details"] == [{"field": "notes", "message": "太长"}]

    def overflow(**kwargs):
        raise DataError("value too long for type character varying(200)")

    monkeypatch.setattr(services, "customer_update", overflow)
    assert _error(api("patch", f"/customers/{customer_id}", {"notes": "x"}), (422,))["code"] == "invalid_value"


# --- the OpenAPI document ------------------------------------------------------------------------


@pytest.fixture
def document(client, admin_user_zh):
    client.force_login(admin_user_zh)
    return client.get("/api/v1/openapi.json").json()


def test_calculator_and_iou_schemas_are_distinct(document):
    def ref(path, status="200"):
        return document["paths"][path]["post"]["responses"][status]["content"]["application/json"]["schema"]["$ref"]

    components = document["components"]["schemas"]
    assert ref("/api/v1/calc/schedule").endswith("/CalcScheduleOut")
    assert ref("/api/v1/calc/cap").endswith("/CalcCapOut")
    assert "installments" in components["CalcScheduleOut"]["properties"]
    assert "cap_rate" in components["CalcCapOut"]["properties"]
    assert "current" in components["ScheduleOut"]["properties"]  # the IOU's, unchanged
    assert "unprotected_interest" in components["CapOut"]["properties"]


def test_schema_names_are_unique_across_the_api():
    import importlib
    import inspect
    import pkgutil

    from ninja import Schema

    import ioudesk.api

    seen: dict[str, str] = {}
    for module_info in pkgutil.iter_modules(ioudesk.api.__path__):
        module = importlib.import_module(f"ioudesk.api.{module_info.name}")
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Schema) and value.__module__ == module.__name__:
                if name in ("Filters", "Input"):
                    continue  # query parameters: flattened, never a component
                assert name not in seen, f"{name} is defined in {seen[name]} and {module.__name__}"
                seen[name] = module.__name__


def test_every_operation_documents_its_error_answers(document):
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            # 401 wherever a token is asked for; the gateway's delivery receipts are signed instead
            # (no security scheme: they answer 403 to a bad signature, never 401).
            needed = {"401"} if operation.get("security") else set()
            if operation.get("parameters") or operation.get("requestBody"):
                needed.add("422")
            if "{" in path:
                needed.add("404")
            if method != "get" and not path.startswith("/api/v1/calc"):
                needed |= {"400", "403"}
            for code in needed - codes:
                missing.append(f"{method.upper()} {path}: {code}")
            for code in codes & {"400", "401", "403", "404", "409", "422"}:
                schema = operation["responses"][code]["content"]["application/json"]["schema"]
                assert schema["$ref"].endswith("/ErrorOut"), (path, code)
    assert not missing, missing


def test_a_path_the_resolver_does_not_match_is_json_404(api):
    response = api("get", "/customers/abc")

    assert response["Content-Type"].startswith("application/json")
    assert _error(response, (404,))["code"] == "not_found"
