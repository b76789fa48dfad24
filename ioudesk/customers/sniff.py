"""What a file really is, from its content (magic bytes), never from its name.

`sniff(fileobj)` returns a `FileKind`-like `Detected` type: an allowed document (JPEG, PNG, GIF,
WEBP, HEIC, PDF, Word/Excel/PowerPoint in both the 97-2003 and the 2007+ formats) or a named
refusal (executable, web page, SVG, archive …) so the message can say what was found.

- Office 97-2003 files are OLE2 compound files (magic D0 CF 11 E0 A1 B1 1A E1); so are .msi
  installers and Outlook .msg files. The directory of the compound file is read to tell them
  apart: Word has a `WordDocument` stream, Excel `Workbook` (or `Book`), PowerPoint
  `PowerPoint Document` ([MS-CFB] 2.2, 2.6).
- Office 2007+ files are ZIP packages; `[Content_Types].xml` names the main part's content type
  (ECMA-376 part 2, 10.1.2.2), and that part must exist in the package. Macro-enabled packages
  (.docm …) and packages carrying `vbaProject.bin` are refused.

The file object must be seekable; it is left at position 0.

>>> import io
>>> sniff(io.BytesIO(b"%PDF-1.7 ...")).key
'pdf'
>>> sniff(io.BytesIO(b"MZ\\x90\\x00 rest of a Windows program")).key
'executable'
>>> sniff(io.BytesIO(b"\\xef\\xbb\\xbf  <!DOCTYPE html><html>")).key
'html'
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO
from xml.etree import ElementTree

from django.utils.translation import gettext_lazy as _

HEAD_BYTES = 4096
MAX_CONTENT_TYPES_XML = 1024 * 1024
MAX_CFB_DIRECTORY_SECTORS = 4096


@dataclass(frozen=True)
class Detected:
    key: str
    label: str  # what a user calls it, in a message: "PDF", "可执行程序"
    content_type: str = "application/octet-stream"
    extensions: tuple[str, ...] = ()  # the first is the one a stored copy gets
    group: str = ""  # "pdf" | "image" | "office" for the documents a customer file may be

    @property
    def extension(self) -> str:
        return self.extensions[0] if self.extensions else ""


def _kind(key, label, content_type="application/octet-stream", extensions=(), group=""):
    return Detected(key, label, content_type, tuple(extensions), group)


KINDS: dict[str, Detected] = {k.key: k for k in [
    _kind("jpeg", _("JPEG图片"), "image/jpeg", [".jpg", ".jpeg", ".jpe", ".jfif"], "image"),
    _kind("png", _("PNG图片"), "image/png", [".png"], "image"),
    _kind("gif", _("GIF图片"), "image/gif", [".gif"], "image"),
    _kind("webp", _("WEBP图片"), "image/webp", [".webp"], "image"),
    _kind("heic", _("HEIC图片"), "image/heic", [".heic", ".heif"], "image"),
    _kind("bmp", _("BMP图片"), "image/bmp", [".bmp"], "image"),
    _kind("tiff", _("TIFF图片"), "image/tiff", [".tif", ".tiff"], "image"),
    _kind("pdf", _("PDF"), "application/pdf", [".pdf"], "pdf"),
    _kind("doc", _("Word 97-2003文档"), "application/msword", [".doc"], "office"),
    _kind("xls", _("Excel 97-2003表格"), "application/vnd.ms-excel", [".xls"], "office"),
    _kind("ppt", _("PowerPoint 97-2003演示文稿"), "application/vnd.ms-powerpoint", [".ppt"], "office"),
    _kind("docx", _("Word文档"),
          "application/vnd.openxmlformats-officedocument.wordprocessingml.document", [".docx"], "office"),
    _kind("xlsx", _("Excel表格"),
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", [".xlsx"], "office"),
    _kind("pptx", _("PowerPoint演示文稿"),
          "application/vnd.openxmlformats-officedocument.presentationml.presentation", [".pptx"], "office"),
    # Recognised so that a refusal can name them; never allowed as customer files.
    _kind("executable", _("可执行程序"), extensions=[".exe", ".dll", ".com", ".scr", ".msi", ".elf", ".so"]),
    _kind("script", _("脚本文件"), extensions=[".sh", ".bat", ".cmd", ".ps1", ".js", ".vbs", ".py"]),
    _kind("html", _("网页（HTML，可能含脚本）"), "text/html", [".html", ".htm", ".xhtml", ".mht"]),
    _kind("svg", _("SVG矢量图（可能含脚本）"), "image/svg+xml", [".svg", ".svgz"]),
    _kind("xml", _("XML文件"), "application/xml", [".xml"]),
    _kind("rtf", _("RTF文档"), "application/rtf", [".rtf"]),
    _kind("office_macro", _("含宏的Office文件"), extensions=[".docm", ".xlsm", ".pptm"]),
    _kind("office_encrypted", _("受密码保护的Office文件")),
    _kind("ole_other", _("其他OLE复合文件（如安装包、邮件）")),
    _kind("archive", _("压缩包"), extensions=[".zip", ".rar", ".7z", ".gz", ".tar"]),
    _kind("unknown", _("无法识别的格式")),
]}

OOXML_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
    "application/vnd.ms-word.document.macroEnabled.main+xml": "office_macro",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": "office_macro",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml": "office_macro",
}
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXECUTABLE_MAGIC = (
    b"MZ",  # Windows/DOS (PE)
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
    b"\x00asm",  # WebAssembly
)
ARCHIVE_MAGIC = (b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<meta", b"<a ",
                b"<img", b"<div", b"<style", b"<title", b"<?xml-stylesheet")


def kind(key: str) -> Detected:
    return KINDS[key]


def kinds_for_extension(extension: str) -> list[Detected]:
    extension = extension.lower()
    return [k for k in KINDS.values() if extension in k.extensions]


def sniff(fileobj: BinaryIO) -> Detected:
    fileobj.seek(0)
    head = fileobj.read(HEAD_BYTES)
    try:
        return KINDS[_sniff(fileobj, head)]
    finally:
        fileobj.seek(0)


def _sniff(fileobj: BinaryIO, head: bytes) -> str:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heic"
    if head.startswith(b"BM") and len(head) >= 26 and struct.unpack_from("<I", head, 2)[0] > 26:
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(OLE2_MAGIC):
        return _ole2(fileobj)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip(fileobj)
    if head.startswith(EXECUTABLE_MAGIC):
        return "executable"
    if head.startswith(ARCHIVE_MAGIC):
        return "archive"
    return _text(head)


def _text(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").replace(b"\x00", b"").lower()
    if text.startswith(b"#!"):
        return "script"
    if text.startswith(b"{\\rtf"):
        return "rtf"
    if b"<svg" in text:
        return "svg"
    if any(marker in text for marker in HTML_MARKERS):
        return "html"
    if text.startswith(b"<?xml"):
        return "xml"
    return "unknown"


def _zip(fileobj: BinaryIO) -> str:
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as package:
            names = set(package.namelist())
            if "[Content_Types].xml" not in names:
                return "archive"
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > MAX_CONTENT_TYPES_XML:
                return "archive"
            with package.open(info) as part:
                root = ElementTree.fromstring(part.read(MAX_CONTENT_TYPES_XML))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ElementTree.ParseError, OSError, ValueError,
            NotImplementedError, RuntimeError, EOFError):
        return "archive"
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return "office_macro"
    for element in root:
        if not element.tag.endswith("}Override") and element.tag != "Override":
            continue
        main = OOXML_MAIN_PARTS.get((element.get("ContentType") or "").strip())
        if main and (element.get("PartName") or "").lstrip("/") in names:
            return main
    return "archive"


# --- OLE2 compound files ([MS-CFB]) -------------------------------------------------------------
MAX_REGULAR_SECTOR = 0xFFFFFFFA
OLE_STREAMS = {"WordDocument": "doc", "Workbook": "xls", "Book": "xls", "PowerPoint Document": "ppt",
               "EncryptedPackage": "office_encrypted"}


def _ole2(fileobj: BinaryIO) -> str:
    names = _cfb_entry_names(fileobj)
    if "EncryptedPackage" in names:
        return "office_encrypted"
    for stream, key in OLE_STREAMS.items():
        if stream in names:
            return key
    return "ole_other"


def _cfb_entry_names(fileobj: BinaryIO) -> set[str]:
    """The names of the storages and streams in a compound file's directory."""
    fileobj.seek(0)
    header = fileobj.read(512)
    if len(header) < 512:
        return set()
    sector_shift = struct.unpack_from("<H", header, 30)[0]
    if sector_shift not in (9, 12):
        return set()
    size = 1 << sector_shift
    per_sector = size // 4

    def read_sector(number: int) -> bytes:
        fileobj.seek((number + 1) * size)
        return fileobj.read(size)

    fat_locations = [s for s in struct.unpack_from("<109I", header, 76)]
    next_difat, difat_count = struct.unpack_from("<II", header, 68)
    for _step in range(min(difat_count, MAX_CFB_DIRECTORY_SECTORS)):
        if next_difat >= MAX_REGULAR_SECTOR:
            break
        data = read_sector(next_difat)
        if len(data) < size:
            break
        values = struct.unpack(f"<{per_sector}I", data)
        fat_locations.extend(values[:-1])
        next_difat = values[-1]

    fat_sectors: dict[int, tuple[int, ...]] = {}

    def next_sector(number: int) -> int:
        index, offset = divmod(number, per_sector)
        if index >= len(fat_locations) or fat_locations[index] >= MAX_REGULAR_SECTOR:
            return MAX_REGULAR_SECTOR
        if index not in fat_sectors:
            data = read_sector(fat_locations[index])
            if len(data) < size:
                return MAX_REGULAR_SECTOR
            fat_sectors[index] = struct.unpack(f"<{per_sector}I", data)
        return fat_sectors[index][offset]

    names: set[str] = set()
    sector, visited = struct.unpack_from("<I", header, 48)[0], set()
    while sector < MAX_REGULAR_SECTOR and sector not in visited and len(visited) < MAX_CFB_DIRECTORY_SECTORS:
        visited.add(sector)
        data = read_sector(sector)
        for start in range(0, len(data) - 127, 128):
            entry = data[start:start + 128]
            length, entry_type = struct.unpack_from("<HB", entry, 64)
            if entry_type in (1, 2, 5) and 2 <= length <= 64:
                names.add(entry[:length - 2].decode("utf-16-le", "replace"))
        sector = next_sector(sector)
    return names
