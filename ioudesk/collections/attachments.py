"""Evidence files of contact records (call recordings, photos, signed acknowledgements, delivery
receipts, letters): what each kind may be, checked by content (``ioudesk.customers.sniff`` for
images and PDF; the audio formats of a phone's recorder here: MP3, M4A/AAC, AMR, WAV), with its
SHA-256, stored in the private storage under ``collections/<case id>/<uuid><ext>``.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.collections.models import AttachmentKind
from ioudesk.core.errors import ValidationFailed
from ioudesk.core.storage import private_storage
from ioudesk.customers import sniff
from ioudesk.customers.files import clean_original_name, limit_text, size_text

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * MB


@dataclass(frozen=True)
class Kind:
    key: str
    label: object  # a lazy translation
    content_type: str
    extensions: tuple[str, ...]
    group: str  # audio | image | pdf


AUDIO = {
    "mp3": Kind("mp3", _("MP3录音"), "audio/mpeg", (".mp3",), "audio"),
    "m4a": Kind("m4a", _("M4A录音"), "audio/mp4", (".m4a", ".aac", ".mp4"), "audio"),
    "amr": Kind("amr", _("AMR录音"), "audio/amr", (".amr",), "audio"),
    "wav": Kind("wav", _("WAV录音"), "audio/wav", (".wav",), "audio"),
}
AUDIO_BRANDS = {b"M4A ", b"M4B ", b"mp42", b"isom", b"mp41", b"3gp4", b"3gp5", b"dash", b"iso2"}
GROUP_LABELS = {"audio": _("录音（MP3、M4A、AMR、WAV）"), "image": _("图片（JPG、PNG、HEIC等）"), "pdf": "PDF"}
ALLOWED = {
    AttachmentKind.RECORDING: ("audio",),
    AttachmentKind.PHOTO: ("image",),
    AttachmentKind.ACKNOWLEDGEMENT: ("pdf", "image"),
    AttachmentKind.DELIVERY_RECEIPT: ("pdf", "image"),
    AttachmentKind.LETTER: ("pdf", "image"),
    AttachmentKind.OTHER: ("pdf", "image", "audio"),
}


def max_bytes() -> int:
    return int(getattr(settings, "IOUDESK_CONTACT_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def _audio(head: bytes) -> Kind | None:
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
                                   and head[1] & 0x06 != 0):
        return AUDIO["mp3"]
    if head.startswith(b"#!AMR"):
        return AUDIO["amr"]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return AUDIO["wav"]
    if head[4:8] == b"ftyp" and head[8:12] in AUDIO_BRANDS:
        return AUDIO["m4a"]
    return None


def detect(upload) -> Kind:
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    audio = _audio(head)
    if audio is not None:
        return audio
    found = sniff.sniff(upload)
    return Kind(found.key, str(found.label), found.content_type, found.extensions, found.group)


@dataclass
class Checked:
    kind: str
    upload: object
    original_name: str
    content_type: str
    size: int
    sha256: str
    extension: str


def check(kind: str, upload, *, field_name: str = "attachments") -> Checked:
    """One attachment checked (nothing stored): the kind known, the file not empty nor too large,
    its content one the kind allows and its extension saying the same."""
    if kind not in AttachmentKind.values:
        raise ValidationFailed(_g("附件类型“%(kind)s”无效，请选择录音、照片、债务确认书、送达回执、函件或其他。") % {
            "kind": kind}, code="attachment_kind_invalid", extra={"field": field_name})
    label = AttachmentKind(kind).label
    if upload is None:
        raise ValidationFailed(_g("请选择%(kind)s文件。") % {"kind": label}, code="attachment_missing",
                               extra={"field": field_name})
    limit = max_bytes()
    if not upload.size:
        raise ValidationFailed(_g("附件“%(name)s”是空文件（0 字节），请重新选择。") % {"name": upload.name},
                               code="file_empty", extra={"field": field_name})
    if upload.size > limit:
        raise ValidationFailed(_g("附件“%(name)s”超过 %(limit)s 的上限（%(size)s）。") % {
            "name": upload.name, "limit": limit_text(limit), "size": size_text(upload.size)},
            code="file_too_large", extra={"field": field_name})
    found = detect(upload)
    groups = ALLOWED[kind]
    if found.group not in groups:
        raise ValidationFailed(
            _g("附件“%(name)s”是%(found)s，%(kind)s只能上传%(allowed)s。") % {
                "name": upload.name, "found": found.label, "kind": label,
                "allowed": "、".join(str(GROUP_LABELS[g]) for g in groups)},
            code="file_type_not_allowed", extra={"field": field_name})
    original_name = clean_original_name(upload.name) or f"{label}{found.extensions[0]}"
    extension = os.path.splitext(original_name)[1].lower()
    if extension and extension not in found.extensions:
        raise ValidationFailed(
            _g("附件“%(name)s”的扩展名与内容不符：内容是%(found)s，请改为以“%(right)s”结尾。") % {
                "name": original_name, "found": found.label, "right": found.extensions[0]},
            code="file_extension_mismatch", extra={"field": field_name})
    if not extension:
        extension = found.extensions[0]
        original_name += extension
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in upload.chunks():
        size += len(chunk)
        digest.update(chunk)
    upload.seek(0)
    if size > limit:
        raise ValidationFailed(_g("附件“%(name)s”超过 %(limit)s 的上限。") % {
            "name": original_name, "limit": limit_text(limit)}, code="file_too_large", extra={"field": field_name})
    return Checked(kind=kind, upload=upload, original_name=original_name, content_type=found.content_type,
                   size=size, sha256=digest.hexdigest(), extension=extension)


def store(checked: Checked, *, case_id: int) -> str:
    return private_storage().save(f"collections/{case_id}/{uuid.uuid4().hex}{checked.extension}", checked.upload)


def discard(names: list[str]) -> None:
    storage = private_storage()
    for name in names:
        storage.delete(name)
