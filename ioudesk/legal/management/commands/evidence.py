"""``ioudesk evidence verify FILE.zip`` and ``ioudesk evidence build JD… --user NAME``.

verify: every file listed in manifest.json is read and its SHA-256 recomputed; the manifest's own
hash is checked against manifest.sha256; files that are not listed are reported. The report is in
Chinese, one line per file. Exit 0 when the package is intact, 1 when a file is changed, missing or
extra (or the package cannot be read). A folder the package was unzipped into can be checked the
same way. No database is needed (ioudesk/legal/evidence.py, ``verify_package``).

build: the evidence package of one IOU (by its number) written to a file, as the named staff user
would download it (their permissions and branches; audited as theirs): for a package too large to
download through the browser comfortably, or for a lawyer's copy made on the server.
"""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from ioudesk.core.context import acting_as, actor_for_user
from ioudesk.core.errors import ApplicationError
from ioudesk.ious.models import Iou
from ioudesk.legal.evidence import evidence_package_build, verify_package


class Command(BaseCommand):
    help = "证据包：verify 校验证据包（.zip 或解压后的文件夹）中每个文件的 SHA-256；build 生成一笔借据的证据包。"
    requires_system_checks: list = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,build}")
        check = sub.add_parser("verify", help="校验证据包：逐个核对 manifest.json 中的 SHA-256，找出被修改、缺失或多出的文件")
        check.add_argument("package", metavar="FILE.zip", help="证据包 .zip 文件（或解压后的文件夹）")
        build = sub.add_parser("build", help="生成一笔借据的证据包（按指定员工的权限，记入审计）")
        build.add_argument("number", metavar="借据编号", help="如 JD20261128-0001")
        build.add_argument("--user", required=True, help="以哪位员工的身份生成（用户名）")
        build.add_argument("--output", "-o", help="输出文件（默认：当前目录下的 <借据编号>-证据包-<日期>.zip）")

    def handle(self, *args, subcommand, **options):
        with translation.override("zh-hans"):
            if subcommand == "build":
                return self.build(options["number"], options["user"], options.get("output"))
            return self.verify(options["package"])

    def verify(self, package):
        report = verify_package(package)
        lines = report.lines()
        for line in lines[:-1]:
            self.stdout.write(line)
        if report.intact:
            self.stdout.write(self.style.SUCCESS(lines[-1]))
            return
        self.stderr.write(self.style.ERROR(lines[-1]))
        sys.exit(1)

    def build(self, number: str, username: str, output: str | None):
        user = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise CommandError(f"没有启用的员工“{username}”")
        iou = Iou.objects.filter(number=number.strip()).first()
        if iou is None:
            raise CommandError(f"借据 {number} 不存在")
        path = Path(output) if output else None
        partial = (path or Path.cwd() / f"{iou.number}-证据包.zip.part").with_suffix(".part")
        try:
            with acting_as(actor_for_user(user)), open(partial, "wb") as out:
                info = evidence_package_build(iou, user=user, out=out)
        except ApplicationError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(str(error.message)) from error
        target = path or Path.cwd() / info.filename
        partial.replace(target)
        self.stdout.write(f"已生成 {target}：{info.files} 个文件，清单SHA-256 {info.manifest_sha256}")
