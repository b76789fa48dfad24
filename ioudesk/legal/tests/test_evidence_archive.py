"""The evidence package's archive and its check, without the database: a package written from a
few files, unzipped, verified, then changed, cut short and added to — and ``ioudesk evidence verify``
says so in Chinese with exit 1."""

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from ioudesk.legal.evidence import MANIFEST, MANIFEST_HASH, Entry, verify_package, write_package

FILES = {
    "01-借据/JD20261128-0001-借条.pdf": b"%PDF-1.4 the IOU",
    "04-催收记录/00001-20261128-电话/通话录音-录音.m4a": b"\x00\x00\x00\x18ftypM4A recording",
    "06-时间线.pdf": b"%PDF-1.4 timeline",
}


@pytest.fixture
def package(tmp_path):
    path = tmp_path / "证据包.zip"
    entries = [Entry(name, "test", "测试文件", content=data) for name, data in FILES.items()]
    entries.append(Entry("01-借据/JD20261128-0001-借条.pdf", "test", "同名文件", content=b"second"))
    with open(path, "wb") as out:
        manifest, sha = write_package(out, entries, {"iou": {"number": "JD20261128-0001", "debtor": "王建国"}})
    return path, manifest, sha


def test_manifest_lists_every_file_with_its_sha256(package):
    path, manifest, sha = package
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        text = archive.read(MANIFEST)
        assert archive.read(MANIFEST_HASH).decode() == f"{sha}  manifest.json\n"
    assert hashlib.sha256(text).hexdigest() == sha
    listed = {row["path"]: row for row in json.loads(text)["files"]}
    assert names == set(listed) | {MANIFEST, MANIFEST_HASH}
    assert "01-借据/JD20261128-0001-借条-2.pdf" in listed  # the same name twice is kept apart
    for name, data in FILES.items():
        assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest() and listed[name]["size"] == len(data)


def test_intact_package_then_changed_missing_and_extra_files(package, tmp_path):
    path, _manifest, sha = package
    report = verify_package(path)
    assert report.intact and report.manifest_sha256 == sha
    assert report.lines()[-1].startswith("结论：完好。清单中的 4 个文件全部存在")

    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    assert verify_package(folder).intact

    recording = folder / "04-催收记录/00001-20261128-电话/通话录音-录音.m4a"
    recording.write_bytes(recording.read_bytes() + b"!")  # one byte added
    report = verify_package(folder)
    assert not report.intact and report.count("changed") == 1
    line = next(line for line in report.lines() if line.startswith("[已被修改]"))
    assert "通话录音-录音.m4a" in line and "SHA-256 应为 " + hashlib.sha256(FILES[
        "04-催收记录/00001-20261128-电话/通话录音-录音.m4a"]).hexdigest() in line

    (folder / "06-时间线.pdf").unlink()
    (folder / "补充.txt").write_text("后来放进去的")
    report = verify_package(folder)
    assert (report.count("changed"), report.count("missing"), report.count("extra")) == (1, 1, 1)
    assert "[缺失] 06-时间线.pdf：清单中有这个文件，包中没有" in report.lines()
    assert "[多出] 补充.txt：清单中没有这个文件" in report.lines()
    assert "结论：不完整或已被改动（修改 1 个，缺失 1 个，多出 1 个，其他错误 0 个）。" in report.lines()


def test_rewritten_manifest_is_caught_by_its_hash(package, tmp_path):
    path, _manifest, _sha = package
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "06-时间线.pdf":
                data = b"%PDF-1.4 another timeline"
            if info.filename == MANIFEST:
                manifest = json.loads(data)
                for row in manifest["files"]:
                    if row["path"] == "06-时间线.pdf":
                        row["sha256"], row["size"] = hashlib.sha256(b"%PDF-1.4 another timeline").hexdigest(), 25
                data = json.dumps(manifest, ensure_ascii=False).encode()
            target.writestr(info.filename, data)
    report = verify_package(tampered)
    assert not report.intact
    assert [f.path for f in report.findings if f.status == "changed"] == [MANIFEST]


def test_not_a_package():
    assert not verify_package("/nonexistent/证据包.zip").intact


def test_command_exit_codes_and_chinese_report(package, tmp_path, capsys):
    from django.core.management import call_command

    path, _manifest, _sha = package
    call_command("evidence", "verify", str(path))  # in process: exit 0 is a plain return
    out = capsys.readouterr().out
    assert "[一致] 06-时间线.pdf" in out and "结论：完好" in out

    broken = tmp_path / "broken.zip"
    shutil.copy(path, broken)
    with zipfile.ZipFile(broken, "a") as archive:
        archive.writestr("extra.pdf", b"%PDF")
    # the real console script once, for its exit status
    bad = subprocess.run([sys.executable, "-m", "ioudesk.cli", "evidence", "verify", str(broken)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "[多出] extra.pdf" in bad.stdout and "结论：不完整或已被改动" in bad.stderr


def test_a_stored_file_gone_is_refused_by_name(tmp_path):
    from ioudesk.legal.evidence import FileMissing

    def gone():
        raise FileNotFoundError("customers/1/x.png")

    with open(tmp_path / "p.zip", "wb") as out, pytest.raises(FileMissing, match="01-借据/原件-01-借条原件.png"):
        write_package(out, [Entry("01-借据/原件-01-借条原件.png", "original", "原件", opener=gone)], {})
