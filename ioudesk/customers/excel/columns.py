"""The columns of the customer sheet and the names users write in them."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.core.errors import ValidationFailed
from ioudesk.customers.models import (
    Category,
    CustomerKind,
    MaritalStatus,
    RiskGrade,
)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000  # data rows per file; settings.IOUDESK_IMPORT_MAX_ROWS changes it
BLANK_ROWS_STOP = 1_000  # this many blank rows in a row end the data (trailing formatted rows)
BACKGROUND_BYTES = 256 * 1024  # a larger upload is checked and imported by the background worker
BACKGROUND_ROWS = 1_000  # so is a file of more rows (settings.IOUDESK_IMPORT_BACKGROUND_ROWS)
STAGED_HOURS = 24
EXPORT_CHUNK = 2000

NUMBER, KIND, NAME, PHONE, ID, CATEGORY, GRADE = "客户编号", "类型", "姓名/名称", "手机号", "证件号", "分类", "风险等级"
SOURCE, TAGS, BRANCH, OWNER, ACQUIRED, ADDRESS = "来源渠道", "标签", "网点", "客户经理", "建档日期", "地址"
EMPLOYER, MONEY, MARITAL, INDUSTRY = "工作单位/法定代表人", "月收入/注册资本（元）", "婚姻状况", "所属行业"
BANK, ACCOUNT, NOTES = "开户银行", "银行账号", "备注"

IMPORT_COLUMNS = [KIND, NAME, PHONE, ID, CATEGORY, GRADE, SOURCE, TAGS, BRANCH, OWNER, ACQUIRED, ADDRESS,
                  EMPLOYER, MONEY, MARITAL, INDUSTRY, BANK, ACCOUNT, NOTES]
EXPORT_COLUMNS = [NUMBER, *IMPORT_COLUMNS]
TEXT_COLUMNS = {PHONE, ID, ACCOUNT}  # formatted as text in the template: Excel keeps only 15 digits of a number
WIDTHS = {NUMBER: 18, NAME: 20, PHONE: 15, ID: 22, SOURCE: 12, TAGS: 18, BRANCH: 12, ACQUIRED: 12, ADDRESS: 30,
          EMPLOYER: 20, MONEY: 16, BANK: 18, ACCOUNT: 24, NOTES: 30}

KINDS = {"个人": CustomerKind.INDIVIDUAL, "企业": CustomerKind.COMPANY}
CATEGORIES = {"普通客户": Category.NORMAL, "重要客户": Category.IMPORTANT, "黑名单": Category.BLACKLIST}
MARITAL_STATUSES = {"未婚": MaritalStatus.UNMARRIED, "已婚": MaritalStatus.MARRIED, "离异": MaritalStatus.DIVORCED,
                    "丧偶": MaritalStatus.WIDOWED}
GRADES = [grade.value for grade in RiskGrade]
TAG_SEPARATORS = re.compile(r"[,，、;；]")
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


class ImportFileError(ValidationFailed):
    """The file as a whole cannot be imported (not an .xlsx, too big, no header row …)."""

    code = "import_file"


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", _("全部导入（有错误则一条都不导入）")
    GOOD_ROWS = "good", _("只导入正确的行")
