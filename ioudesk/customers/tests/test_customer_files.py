"""Customer files (客户资料): checked by content, stored privately, downloaded by the right people, logged.

Every file here is real: images drawn by Pillow, a PDF by reportlab, a workbook by openpyxl, a
Word package and an OLE2 compound file built byte by byte, and program headers as the linkers
write them.
"""

import hashlib
import io
import struct
import sys
import types
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib import admin as django_admin
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import include, path, reverse

from ioudesk.core import audit
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.storage import PrivateFileSystemStorage, private_storage
from ioudesk.customers import files, sniff
from ioudesk.customers.files import customer_file_delete, customer_file_open, customer_file_upload
from ioudesk.customers.models import Customer, CustomerFile, CustomerKind, FileKind
from ioudesk.customers.services import customer_create

MANAGER = "客户经理"

# The file admin is registered by importing it; until ioudesk.backoffice.admin imports it too, the
# admin test below uses these URLs, built after the registration.
import ioudesk.backoffice.admin.customer_files  # noqa: E402,F401

urlpatterns = [path("i18n/", include("django.conf.urls.i18n")), path("admin/", include("ioudesk.backoffice.urls")),
               path("admin/", django_admin.site.urls)]


# --- real files -------------------------------------------------------------------------------

def jpeg_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (32, 32), (0, 128, 0, 255)).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "IOU 10000 CNY")
    page.save()
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["2026-01-05", "工资", 8500])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>'))
        package.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'))
        package.writestr("word/document.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>借条</w:t></w:r></w:p></w:body></w:document>'))
    return buffer.getvalue()


def compound_file(stream_name: str) -> bytes:
    """An OLE2 compound file ([MS-CFB], version 3) whose directory holds one stream."""
    end_of_chain, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<9I", header, 40, 0, 1, 1, 0, 4096, end_of_chain, 0, end_of_chain, 0)
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sector, end_of_chain, *([free] * 126))

    def entry(name: str, entry_type: int, child: int = free) -> bytes:
        raw = bytearray(128)
        encoded = name.encode("utf-16-le")
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBBIII", raw, 64, len(encoded) + 2, entry_type, 1, free, free, child)
        struct.pack_into("<IQ", raw, 116, end_of_chain, 0)
        return bytes(raw)

    directory = entry("Root Entry", 5, child=1) + entry(stream_name, 2) + bytes(256)
    return bytes(header) + fat + directory


ELF_HEADER = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(2000)
PE_HEADER = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(50) + b"This program cannot be run in DOS mode" + bytes(2000)
HTML = b"<!DOCTYPE html><html><body><script>fetch('/admin/').then(r => r.text())</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path / "private"


def stored_files(private_dir: Path) -> list[Path]:
    return [p for p in private_dir.rglob("*") if p.is_file()] if private_dir.exists() else []


@pytest.fixture
def east(make_branch):
    return make_branch("E1", "东城网点")


@pytest.fixture
def west(make_branch):
    return make_branch("W1", "西城网点")


@pytest.fixture
def manager(make_staff, east):
    return make_staff("zhangwei", role=MANAGER, branch=east)


@pytest.fixture
def customer(manager, east):
    return customer_create(customer=Customer(kind=CustomerKind.INDIVIDUAL, branch=east, name="张三"), user=manager)


def given_file(customer, manager, name="身份证正面.jpg", content=None, kind=FileKind.ID_FRONT) -> CustomerFile:
    return customer_file_upload(customer=customer, upload=upload(name, jpeg_bytes() if content is None else content), kind=kind,
                                note="", user=manager)


# --- upload: what is kept -----------------------------------------------------------------------

def test_a_photo_is_stored_privately_under_a_random_name_with_its_hash(customer, manager, private_dir):
    content = jpeg_bytes()

    row = customer_file_upload(customer=customer, upload=upload("身份证正面.JPG", content), kind=FileKind.ID_FRONT,
                               note=" 正面 ", user=manager)

    row.refresh_from_db()
    assert (row.original_name, row.content_type, row.size) == ("身份证正面.JPG", "image/jpeg", len(content))
    assert row.sha256 == hashlib.sha256(content).hexdigest() and row.note == "正面"
    assert row.uploaded_by == manager and row.kind == FileKind.ID_FRONT
    stored = private_dir / row.file.name
    assert row.file.name.startswith(f"customers/{customer.pk}/") and row.file.name.endswith(".jpg")
    assert "身份证" not in row.file.name and len(Path(row.file.name).stem) == 32
    assert stored.read_bytes() == content
    assert stored.stat().st_mode & 0o077 == 0  # readable by the application's user only


def test_the_upload_is_in_the_audit_trail_of_the_customers_branch(customer, manager, east):
    row = given_file(customer, manager)

    event = audit.events_for(row).get()
    assert (event.action, event.verb, event.branch_id) == (AuditAction.CREATE, "上传资料", east.pk)
    assert event.changes["original_name"] == [None, "身份证正面.jpg"]
    assert event.changes["sha256"] == [None, row.sha256]


@pytest.mark.parametrize("name,make,content_type", [
    ("流水截图.png", png_bytes, "image/png"),
    ("借条.pdf", pdf_bytes, "application/pdf"),
    ("银行流水.xlsx", xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("借款合同.docx", docx_bytes, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("借款合同.doc", lambda: compound_file("WordDocument"), "application/msword"),
    ("流水.xls", lambda: compound_file("Workbook"), "application/vnd.ms-excel"),
])
def test_real_documents_are_accepted_with_the_type_found_in_them(customer, manager, name, make, content_type):
    row = given_file(customer, manager, name=name, content=make(), kind=FileKind.CONTRACT)

    assert row.content_type == content_type


def test_a_name_without_extension_gets_the_one_its_content_has(customer, manager):
    row = given_file(customer, manager, name="微信图片", content=png_bytes())

    assert row.original_name == "微信图片.png" and row.file.name.endswith(".png")


def test_folders_sent_with_the_name_are_dropped(customer, manager):
    row = given_file(customer, manager, name="C:\\Users\\李\\Desktop\\借条.pdf", content=pdf_bytes())

    assert row.original_name == "借条.pdf"


# --- upload: what is refused, and nothing is left behind ----------------------------------------

@pytest.mark.parametrize("program", [ELF_HEADER, PE_HEADER], ids=["elf", "pe"])
def test_a_program_renamed_to_pdf_is_refused_and_nothing_is_stored(customer, manager, private_dir, program):
    with pytest.raises(ValidationFailed) as caught:
        given_file(customer, manager, name="合同.pdf", content=program)

    assert str(caught.value.message) == "文件内容不是PDF（检测到可执行程序），请上传真实的PDF、图片或Office文件"
    assert not CustomerFile.objects.exists() and stored_files(private_dir) == []
    assert not audit.events_for(customer).filter(verb="上传资料").exists()


@pytest.mark.parametrize("name,content,found", [
    ("说明.html", HTML, "网页（HTML，可能含脚本）"),
    ("签名.svg", SVG, "SVG矢量图（可能含脚本）"),
])
def test_web_pages_and_svg_are_refused(customer, manager, private_dir, name, content, found):
    with pytest.raises(ValidationFailed) as caught:
        given_file(customer, manager, name=name, content=content)

    assert str(caught.value.message).startswith(f"不能上传{found}：只能上传PDF、图片或Office文件")
    assert not CustomerFile.objects.exists() and stored_files(private_dir) == []


def test_svg_renamed_to_png_is_refused(customer, manager, private_dir):
    with pytest.raises(ValidationFailed, match="文件内容不是PNG图片（检测到SVG矢量图（可能含脚本））"):
        given_file(customer, manager, name="签名.png", content=SVG)
    assert stored_files(private_dir) == []


def test_an_installer_named_doc_is_refused(customer, manager):
    # .msi files are OLE2 compound files too, but without a WordDocument stream.
    with pytest.raises(ValidationFailed, match="文件内容不是Word 97-2003文档（检测到其他OLE复合文件"):
        given_file(customer, manager, name="合同.doc", content=compound_file("\u4840\u3b3f\u4577"))


def test_a_zip_named_docx_is_refused(customer, manager):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as package:
        package.writestr("word/document.xml", "<w:document/>")

    with pytest.raises(ValidationFailed, match="文件内容不是Word文档（检测到压缩包）"):
        given_file(customer, manager, name="合同.docx", content=archive.getvalue())


def test_a_workbook_named_docx_is_asked_to_be_renamed(customer, manager):
    with pytest.raises(ValidationFailed) as caught:
        given_file(customer, manager, name="流水.docx", content=xlsx_bytes())

    assert str(caught.value.message) == "文件扩展名“.docx”与内容不符：内容是Excel表格，请把文件名改为以“.xlsx”结尾后重新上传"


def test_an_empty_file_is_refused(customer, manager, private_dir):
    with pytest.raises(ValidationFailed, match=r"文件是空的（0 字节）"):
        given_file(customer, manager, name="借条.pdf", content=b"")
    assert not CustomerFile.objects.exists() and stored_files(private_dir) == []


def test_a_file_over_the_configured_limit_is_refused(customer, manager, private_dir, settings):
    settings.IOUDESK_UPLOAD_MAX_BYTES = 1024 * 1024
    content = pdf_bytes() + b"%" + bytes(2 * 1024 * 1024)

    with pytest.raises(ValidationFailed) as caught:
        given_file(customer, manager, name="借条.pdf", content=content)

    assert str(caught.value.message) == "文件超过1 MB的上限（本文件 2.0 MB），请压缩或拆分后上传"
    assert stored_files(private_dir) == []


def test_the_allowed_types_are_configurable(customer, manager, settings):
    settings.IOUDESK_UPLOAD_ALLOWED_TYPES = ["pdf"]

    with pytest.raises(ValidationFailed, match="不能上传JPEG图片：只能上传PDF（.pdf）"):
        given_file(customer, manager, name="身份证.jpg", content=jpeg_bytes())
    assert given_file(customer, manager, name="借条.pdf", content=pdf_bytes()).content_type == "application/pdf"


def test_a_user_without_the_add_permission_cannot_upload(customer, make_staff, east, private_dir):
    viewer = make_staff("auditor_east", role="审批员", branch=east)

    with pytest.raises(PermissionDenied, match="没有上传客户资料的权限"):
        given_file(customer, viewer)
    assert stored_files(private_dir) == []


def test_a_manager_of_another_branch_cannot_upload(customer, make_staff, west, private_dir):
    with pytest.raises(PermissionDenied, match="只能为本网点"):
        given_file(customer, make_staff("west", role=MANAGER, branch=west))
    assert stored_files(private_dir) == []


def test_when_the_row_cannot_be_saved_the_stored_file_is_removed(customer, manager, private_dir, monkeypatch):
    def audit_fails(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(files.audit, "record", audit_fails)

    with pytest.raises(RuntimeError):
        given_file(customer, manager)

    assert not CustomerFile.objects.exists() and stored_files(private_dir) == []


# --- the upload page ---------------------------------------------------------------------------

def test_the_upload_page_shows_the_limit_and_the_types(client, customer, manager):
    client.force_login(manager)

    page = client.get(reverse("backoffice:customer_file_upload", args=[customer.pk])).content.decode()

    assert "单个文件不超过20 MB" in page and ".pdf" in page and ".docx" in page and 'enctype="multipart/form-data"' in page


def test_uploading_on_the_page_returns_to_the_customer_with_a_message(client, customer, manager):
    client.force_login(manager)

    response = client.post(reverse("backoffice:customer_file_upload", args=[customer.pk]), {
        "kind": FileKind.IOU, "note": "原件扫描", "file": upload("借条.pdf", pdf_bytes())}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("backoffice:customer_overview", args=[customer.pk])
    page = response.content.decode()
    assert "已上传资料“借条.pdf”" in page and "借条/欠条原件：借条.pdf" in page
    assert CustomerFile.objects.get().note == "原件扫描"


def test_a_50_mb_upload_is_refused_on_the_page_next_to_the_field(client, customer, manager, private_dir, tmp_path):
    big = tmp_path / "扫描件.pdf"
    with big.open("wb") as out:
        out.write(pdf_bytes())
        out.truncate(50 * 1024 * 1024)
    assert big.stat().st_size == 50 * 1024 * 1024
    client.force_login(manager)

    with big.open("rb") as handle:
        response = client.post(reverse("backoffice:customer_file_upload", args=[customer.pk]),
                               {"kind": FileKind.CONTRACT, "note": "", "file": handle})

    assert response.status_code == 200
    page = response.content.decode()
    assert '<p class="text-red-600 text-sm mt-1" role="alert">文件超过20 MB的上限（本文件 50.0 MB），请压缩或拆分后上传</p>' in page
    assert not CustomerFile.objects.exists() and stored_files(private_dir) == []


def test_the_page_explains_a_program_renamed_to_pdf(client, customer, manager):
    client.force_login(manager)

    page = client.post(reverse("backoffice:customer_file_upload", args=[customer.pk]), {
        "kind": FileKind.CONTRACT, "file": upload("合同.pdf", PE_HEADER)}).content.decode()

    assert "文件内容不是PDF（检测到可执行程序）" in page and not CustomerFile.objects.exists()


def test_the_upload_page_of_another_branchs_customer_is_not_found(client, customer, make_staff, west):
    client.force_login(make_staff("west", role=MANAGER, branch=west))

    assert client.get(reverse("backoffice:customer_file_upload", args=[customer.pk])).status_code == 404


# --- download ----------------------------------------------------------------------------------

def test_a_colleague_of_the_branch_downloads_the_file_and_it_is_logged(client, customer, manager, make_staff, east):
    content = pdf_bytes()
    row = given_file(customer, manager, name="借款合同.pdf", content=content, kind=FileKind.CONTRACT)
    colleague = make_staff("lina", role=MANAGER, branch=east)
    client.force_login(colleague)

    response = client.get(reverse("backoffice:customer_file_download", args=[row.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('借款合同.pdf')}"
    assert response["X-Content-Type-Options"] == "nosniff"
    event = audit.events_for(row).get(action=AuditAction.DOWNLOAD)
    assert (event.verb, event.actor_id, event.branch_id) == ("下载资料", colleague.pk, east.pk)


def test_head_office_staff_who_see_all_branches_can_download(client, customer, manager, admin_user_zh):
    row = given_file(customer, manager)
    client.force_login(admin_user_zh)

    response = client.get(reverse("backoffice:customer_file_download", args=[row.pk]))

    assert response.status_code == 200


def test_a_file_of_another_branch_is_not_found_like_a_missing_one(client, customer, manager, make_staff, west):
    row = given_file(customer, manager)
    client.force_login(make_staff("west", role=MANAGER, branch=west))

    other_branch = client.get(reverse("backoffice:customer_file_download", args=[row.pk]))
    missing = client.get(reverse("backoffice:customer_file_download", args=[row.pk + 100]))

    assert other_branch.status_code == missing.status_code == 404
    assert not audit.events_for(row).filter(action=AuditAction.DOWNLOAD).exists()


def test_without_the_view_permission_the_download_is_forbidden(client, customer, manager, make_staff, east):
    row = given_file(customer, manager)
    client.force_login(make_staff("no_role", branch=east))

    assert client.get(reverse("backoffice:customer_file_download", args=[row.pk])).status_code == 403
    assert not audit.events_for(row).filter(action=AuditAction.DOWNLOAD).exists()


def test_the_service_itself_refuses_a_download_without_the_view_permission(customer, manager, make_staff, east):
    row = given_file(customer, manager)

    with pytest.raises(PermissionDenied, match="没有下载客户资料的权限"):
        customer_file_open(user=make_staff("no_role", branch=east), pk=row.pk)
    assert not audit.events_for(row).filter(action=AuditAction.DOWNLOAD).exists()


def test_signed_out_visitors_are_sent_to_the_login(client, customer, manager):
    row = given_file(customer, manager)

    response = client.get(reverse("backoffice:customer_file_download", args=[row.pk]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_the_stored_file_is_outside_the_web_root_and_has_no_url(client, customer, manager, settings, private_dir):
    row = given_file(customer, manager)
    stored = (private_dir / row.file.name).resolve()
    client.force_login(manager)

    assert stored.is_file() and stored.is_relative_to(private_dir.resolve())
    for served in (settings.STATIC_ROOT, settings.MEDIA_ROOT):
        assert not stored.is_relative_to(Path(served).resolve())
    assert private_storage().base_url is None
    with pytest.raises(ValueError):
        private_storage().url(row.file.name)
    for prefix in ("/static/", "/media/", "/static/private/", "/private/"):
        assert client.get(prefix + row.file.name).status_code == 404


# --- delete, admin, storage configuration ----------------------------------------------------------

def test_deleting_removes_the_row_then_the_file_and_is_logged(customer, manager, private_dir,
                                                              django_capture_on_commit_callbacks):
    row = given_file(customer, manager)
    pk, stored = row.pk, private_dir / row.file.name

    with django_capture_on_commit_callbacks(execute=True):
        customer_file_delete(customer_file=row, user=manager, reason="上传错了")

    assert not CustomerFile.objects.filter(pk=pk).exists() and not stored.exists()
    row.pk = pk
    event = audit.events_for(row).get(action=AuditAction.DELETE)
    assert (event.verb, event.reason) == ("删除资料", "上传错了")


def test_the_file_list_in_the_admin_shows_only_the_users_branches(customer, manager, make_staff, west):
    from django.contrib import admin

    from ioudesk.backoffice.admin.customer_files import CustomerFileAdmin

    given_file(customer, manager)
    model_admin = CustomerFileAdmin(CustomerFile, admin.site)
    request = RequestFactory().get("/admin/customers/customerfile/")

    request.user = manager
    assert model_admin.get_queryset(request).count() == 1
    request.user = make_staff("west", role=MANAGER, branch=west)
    assert model_admin.get_queryset(request).count() == 0
    assert not model_admin.has_add_permission(request) and not model_admin.has_change_permission(request)


@pytest.mark.urls(__name__)
def test_the_admin_lists_views_and_deletes_through_the_service(client, customer, manager, private_dir,
                                                                django_capture_on_commit_callbacks):
    row = given_file(customer, manager)
    client.force_login(manager)

    listing = client.get("/admin/customers/customerfile/").content.decode()
    detail = client.get(f"/admin/customers/customerfile/{row.pk}/change/")
    with django_capture_on_commit_callbacks(execute=True):
        deleted = client.post(f"/admin/customers/customerfile/{row.pk}/delete/", {"post": "yes"})

    assert "身份证正面.jpg" in listing and reverse("backoffice:customer_file_download", args=[row.pk]) in listing
    assert detail.status_code == 200 and row.sha256 in detail.content.decode()
    assert deleted.status_code == 302 and not CustomerFile.objects.exists() and stored_files(private_dir) == []
    assert audit.events_for(row).filter(action=AuditAction.DELETE, verb="删除资料").exists()


def test_private_files_go_to_the_data_directory_by_default(settings, tmp_path):
    storage = private_storage()

    assert isinstance(storage, PrivateFileSystemStorage) and Path(storage.location) == tmp_path / "private"


def test_with_a_bucket_configured_files_go_to_s3_privately(settings, monkeypatch):
    captured = {}

    class S3Storage:
        def __init__(self, **options):
            captured.update(options)

    backend = types.ModuleType("storages.backends.s3")
    backend.S3Storage = S3Storage
    monkeypatch.setitem(sys.modules, "storages", types.ModuleType("storages"))
    monkeypatch.setitem(sys.modules, "storages.backends", types.ModuleType("storages.backends"))
    monkeypatch.setitem(sys.modules, "storages.backends.s3", backend)
    monkeypatch.setenv("IOUDESK_S3_BUCKET", "ioudesk-files")
    monkeypatch.setenv("IOUDESK_S3_ENDPOINT_URL", "https://oss-cn-hangzhou.aliyuncs.com")
    monkeypatch.setenv("IOUDESK_S3_ACCESS_KEY", "AK")
    monkeypatch.setenv("IOUDESK_S3_SECRET_KEY", "SK")
    monkeypatch.setenv("IOUDESK_S3_REGION", "cn-hangzhou")

    assert isinstance(private_storage(), S3Storage)
    assert captured["bucket_name"] == "ioudesk-files" and captured["endpoint_url"].endswith("aliyuncs.com")
    assert (captured["access_key"], captured["secret_key"], captured["region_name"]) == ("AK", "SK", "cn-hangzhou")
    assert captured["default_acl"] == "private" and captured["querystring_auth"] is True


def test_a_bucket_without_the_s3_package_says_what_to_install(monkeypatch):
    monkeypatch.setenv("IOUDESK_S3_BUCKET", "ioudesk-files")
    monkeypatch.setitem(sys.modules, "storages.backends.s3", None)

    with pytest.raises(ImproperlyConfigured, match="django-storages"):
        private_storage()


# --- the sniffer on its own ---------------------------------------------------------------------

@pytest.mark.parametrize("content,key", [
    (b"GIF89a\x01\x00\x01\x00", "gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "webp"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "heic"),
    (b"#!/bin/sh\nrm -rf /", "script"),
    (b"{\\rtf1\\ansi", "rtf"),
    (b"Rar!\x1a\x07\x00", "archive"),
    (b"just some words", "unknown"),
])
def test_the_sniffer_names_what_it_finds(content, key):
    assert sniff.sniff(io.BytesIO(content)).key == key


def test_a_package_with_macros_is_recognised_as_such():
    archive = io.BytesIO(docx_bytes())
    with zipfile.ZipFile(archive, "a") as package:
        package.writestr("word/vbaProject.bin", b"\x00" * 16)

    assert sniff.sniff(archive).key == "office_macro"
