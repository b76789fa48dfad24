"""Customer files (客户资料): upload, download and delete, each checked and audited.

A file is accepted by what it IS (ioudesk.customers.sniff reads its magic bytes), and its name's
extension must say the same thing, so an .exe renamed to .pdf is refused. It is stored in the
private storage (ioudesk.core.storage) under a random name, `customers/<customer id>/<uuid><ext>`;
the name the user gave it is kept in the row and used again for the download.

Settings (read with defaults, so none is required):
- `IOUDESK_UPLOAD_MAX_BYTES`: the size limit, 20 MB;
- `IOUDESK_UPLOAD_ALLOWED_TYPES`: the keys of `sniff.KINDS` a customer file may be.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
import uuid

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit, scope
from ioudesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.storage import private_storage
from ioudesk.customers import sniff
from ioudesk.customers.models import Customer, CustomerFile, FileKind

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MB
DEFAULT_ALLOWED_TYPES = ("jpeg", "png", "gif", "webp", "heic", "pdf", "doc", "xls", "ppt", "docx", "xlsx", "pptx")
GROUP_NAMES = {"pdf": _("PDF"), "image": _("图片"), "office": _("Office文件")}
AUDITED_FIELDS = ("customer", "kind", "original_name", "content_type", "size", "sha256", "note")


# --- configuration ------------------------------------------------------------------------------

def upload_max_bytes() -> int:
    return int(getattr(settings, "IOUDESK_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def allowed_kinds() -> list[sniff.Detected]:
    keys = getattr(settings, "IOUDESK_UPLOAD_ALLOWED_TYPES", DEFAULT_ALLOWED_TYPES)
    return [sniff.kind(key) for key in keys if sniff.kind(key).group]


def allowed_summary() -> str:
    """"PDF、图片或Office文件", from the allowed types."""
    groups = [str(GROUP_NAMES[g]) for g in GROUP_NAMES if any(k.group == g for k in allowed_kinds())]
    if len(groups) > 1:
        return _g("%(items)s或%(last)s") % {"items": "、".join(groups[:-1]), "last": groups[-1]}
    return "".join(groups)


def allowed_extensions() -> list[str]:
    return [extension for k in allowed_kinds() for extension in k.extensions]


def limit_text(size: int) -> str:
    """The limit as people say it.

    >>> limit_text(20 * MB), limit_text(2560 * 1024)
    ('20 MB', '2.5 MB')
    """
    return f"{size // MB} MB" if size % MB == 0 else f"{size / MB:.1f} MB"


def size_text(size: int) -> str:
    """A file's size.

    >>> size_text(50 * MB), size_text(319898)
    ('50.0 MB', '312.4 KB')
    """
    return f"{size / MB:.1f} MB" if size >= MB else f"{size / 1024:.1f} KB"


# --- upload -----------------------------------------------------------------------------------

def clean_original_name(name: str) -> str:
    """The file's own name without any folder a browser sent, control characters or excess length."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    stem, extension = os.path.splitext(name)
    if len(name) > 200:
        name = stem[: 200 - len(extension)] + extension
    return name


def _check_content(upload, original_name: str) -> tuple[sniff.Detected, str]:
    """What the upload is and the extension it is stored with, or why it is refused."""
    allowed = allowed_kinds()
    detected = sniff.sniff(upload)
    extension = os.path.splitext(original_name)[1].lower()
    summary = allowed_summary()
    claimed = next((k for k in allowed if extension in k.extensions), None)
    if detected not in allowed:
        if claimed is not None:
            raise ValidationFailed(
                _("文件内容不是%(claimed)s（检测到%(detected)s），请上传真实的%(allowed)s") % {
                    "claimed": claimed.label, "detected": detected.label, "allowed": summary},
                code="file_content_mismatch", extra={"field": "file"})
        raise ValidationFailed(
            _("不能上传%(detected)s：只能上传%(allowed)s（%(extensions)s）") % {
                "detected": detected.label, "allowed": summary, "extensions": " ".join(allowed_extensions())},
            code="file_type_not_allowed", extra={"field": "file"})
    if extension and claimed != detected:
        raise ValidationFailed(
            _("文件扩展名“%(extension)s”与内容不符：内容是%(detected)s，请把文件名改为以“%(right)s”结尾后重新上传") % {
                "extension": extension, "detected": detected.label, "right": detected.extension},
            code="file_extension_mismatch", extra={"field": "file"})
    return detected, extension or detected.extension


def _sha256_and_size(upload, limit: int) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            break
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def customer_file_upload(*, customer: Customer, upload, kind: str, note: str = "", user, iou=None) -> CustomerFile:
    """Keep an uploaded document with the customer. Nothing is stored unless everything passes;
    if the row cannot be saved, the stored file is removed again."""
    if not user.has_perm("customers.add_customerfile"):
        raise PermissionDenied(_("您没有上传客户资料的权限，请联系系统管理员开通“客户资料”的新增权限"))
    if not scope.can_see_branch(user, customer.branch_id):
        raise PermissionDenied(_("只能为本网点（及下级网点）的客户上传资料"))
    if kind not in FileKind.values:
        raise ValidationFailed(_("请选择资料类型"), extra={"field": "kind"})
    if iou is not None and iou.customer_id != customer.pk:
        raise ValidationFailed(_("这笔借据不属于该客户，不能把资料挂在它下面。"))
    if upload is None:
        raise ValidationFailed(_("请选择要上传的文件"), extra={"field": "file"})
    limit = upload_max_bytes()
    if upload.size > limit:
        raise ValidationFailed(
            _("文件超过%(limit)s的上限（本文件 %(size)s），请压缩或拆分后上传") % {
                "limit": limit_text(limit), "size": size_text(upload.size)},
            code="file_too_large", extra={"field": "file"})
    if not upload.size:
        raise ValidationFailed(_("文件是空的（0 字节），请检查后重新选择文件"), code="file_empty",
                               extra={"field": "file"})
    original_name = clean_original_name(upload.name)
    detected, extension = _check_content(upload, original_name)
    sha256, size = _sha256_and_size(upload, limit)
    if size > limit:  # the declared size was wrong
        raise ValidationFailed(_("文件超过%(limit)s的上限，请压缩或拆分后上传") % {"limit": limit_text(limit)},
                               code="file_too_large", extra={"field": "file"})
    if not os.path.splitext(original_name)[1]:
        original_name = (original_name or _g("资料")) + detected.extension

    # Not one @transaction.atomic around everything: the file is written first, and the row's
    # transaction must commit (or fail) inside the try below so that a failure removes the file.
    storage = private_storage()
    stored_name = storage.save(f"customers/{customer.pk}/{uuid.uuid4().hex}{extension}", upload)
    try:
        with transaction.atomic():
            row = CustomerFile(customer=customer, iou=iou, kind=kind, original_name=original_name,
                               content_type=detected.content_type, size=size, sha256=sha256,
                               note=(note or "").strip()[:200], uploaded_by=user)
            row.file.name = stored_name
            row.save()
            audit.record(AuditAction.CREATE, obj=row, verb=_g("上传资料"), branch_id=customer.branch_id,
                         changes={field: [None, value] for field, value in _snapshot(row).items()})
    except BaseException:
        storage.delete(stored_name)
        raise
    return row


def _snapshot(row: CustomerFile) -> dict:
    data = audit.snapshot(row)
    return {field: data[field] for field in AUDITED_FIELDS}


# --- reading, download, delete ------------------------------------------------------------------

def customer_file_get(*, user, pk) -> CustomerFile:
    """A file the user may see (their branches); any other id is "not found", like a missing one."""
    row = scope.scope_queryset(user, CustomerFile.objects.select_related("customer", "uploaded_by")).filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def customer_file_open(*, user, pk) -> tuple[CustomerFile, File]:
    """Open a file for download; the download is recorded in the audit trail."""
    if not user.has_perm("customers.view_customerfile"):
        raise PermissionDenied(_("您没有下载客户资料的权限"))
    row = customer_file_get(user=user, pk=pk)
    try:
        handle = private_storage().open(row.file.name, "rb")
    except FileNotFoundError as error:
        raise NotFound(_("资料文件已丢失（%(name)s），请联系系统管理员从备份恢复") % {"name": row.original_name}) from error
    audit.record(AuditAction.DOWNLOAD, obj=row, verb=_g("下载资料"), branch_id=row.customer.branch_id)
    return row, handle


@transaction.atomic
def customer_file_delete(*, customer_file: CustomerFile, user, reason: str = "") -> None:
    """Delete the row now and the stored file once the deletion is committed."""
    if not user.has_perm("customers.delete_customerfile"):
        raise PermissionDenied(_("您没有删除客户资料的权限"))
    if not scope.can_see_branch(user, customer_file.customer.branch_id):
        raise PermissionDenied(_("只能删除本网点（及下级网点）客户的资料"))
    before, pk, stored_name = _snapshot(customer_file), customer_file.pk, customer_file.file.name
    branch_id = customer_file.customer.branch_id
    customer_file.delete()
    customer_file.pk = pk
    audit.record(AuditAction.DELETE, obj=customer_file, verb=_g("删除资料"), branch_id=branch_id, reason=reason,
                 changes={field: [value, None] for field, value in before.items()})
    transaction.on_commit(lambda: private_storage().delete(stored_name))
