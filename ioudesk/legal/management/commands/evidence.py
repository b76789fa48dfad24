"""``ioudesk evidence verify FILE.zip``: check an evidence package (证据包) against its manifest.

Every file listed in manifest.json is read and its SHA-256 recomputed; the manifest's own hash is
checked against manifest.sha256; files that are not listed are reported. The report is in Chinese,
one line per file. Exit 0 when the package is intact, 1 when a file is changed, missing or extra (or
the package cannot be read). A folder the package was unzipped into can be checked the same way.
No database is needed (ioudesk/legal/evidence.py, ``verify_package``).
"""

import sys

from django.core.management.base import BaseCommand
from django.utils import translation

from ioudesk.legal.evidence import verify_package


class Command(BaseCommand):
    help = "证据包：verify 校验证据包（.zip 或解压后的文件夹）中每个文件的 SHA-256。"
    requires_system_checks: list = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify}")
        check = sub.add_parser("verify", help="校验证据包：逐个核对 manifest.json 中的 SHA-256，找出被修改、缺失或多出的文件")
        check.add_argument("package", metavar="FILE.zip", help="证据包 .zip 文件（或解压后的文件夹）")

    def handle(self, *args, subcommand, package, **options):
        with translation.override("zh-hans"):
            report = verify_package(package)
            lines = report.lines()
        for line in lines[:-1]:
            self.stdout.write(line)
        if report.intact:
            self.stdout.write(self.style.SUCCESS(lines[-1]))
            return
        self.stderr.write(self.style.ERROR(lines[-1]))
        sys.exit(1)
