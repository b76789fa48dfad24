"""The import template: headers, drop-down lists, the guide sheet."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ioudesk.core import scope
from ioudesk.core.models import Branch
from ioudesk.customers.excel.columns import (
    ACCOUNT,
    ACQUIRED,
    BRANCH,
    CATEGORY,
    EMPLOYER,
    GRADE,
    GRADES,
    ID,
    IMPORT_COLUMNS,
    KIND,
    MARITAL,
    MAX_ROWS,
    MONEY,
    NAME,
    OWNER,
    PHONE,
    SOURCE,
    TAGS,
    TEXT_COLUMNS,
    WIDTHS,
)
from ioudesk.customers.models import (
    SourceChannel,
    Tag,
)

# --- template ---------------------------------------------------------------------------------


def import_template(*, user) -> Workbook:
    """The import template: a 客户 sheet with the header row and drop-down lists, a 填写说明
    sheet with the rules and an example, and a 可选值 sheet listing the channels, tags and
    branches the user may name."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "客户"
    sheet.append(IMPORT_COLUMNS)
    for index, header in enumerate(IMPORT_COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="B91C1C" if header == NAME else None)
        cell.fill = PatternFill("solid", fgColor="EDE9FE")
        sheet.column_dimensions[letter].width = WIDTHS.get(header, 10)
        if header in TEXT_COLUMNS:
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"

    options = workbook.create_sheet("可选值")
    channels = list(SourceChannel.objects.filter(is_active=True).values_list("name", flat=True))
    tags = list(Tag.objects.values_list("name", flat=True))
    branches = list(scope.scope_queryset(user, Branch.objects.filter(is_active=True), "pk").values_list("code", "name"))
    options.append(["来源渠道", "标签", "网点代码", "网点名称"])
    for index in range(max(len(channels), len(tags), len(branches), 1)):
        code, name = branches[index] if index < len(branches) else ("", "")
        options.append([_at(channels, index), _at(tags, index), code, name])
    for letter, width in zip("ABCD", (16, 16, 12, 20), strict=True):
        options.column_dimensions[letter].width = width

    def choose(header: str, formula: str, *, strict: bool = True):
        letter = get_column_letter(IMPORT_COLUMNS.index(header) + 1)
        validation = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=strict,
                                    errorTitle="输入有误", error=f"请从下拉列表中选择{header}")
        validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(validation)

    choose(KIND, '"个人,企业"')
    choose(CATEGORY, '"普通客户,重要客户,黑名单"')
    choose(GRADE, f'"{",".join(GRADES)}"')
    choose(MARITAL, '"未婚,已婚,离异,丧偶"')
    if channels:
        choose(SOURCE, f"'可选值'!$A$2:$A${len(channels) + 1}")
    if branches:  # a code is accepted too, so the list only suggests
        choose(BRANCH, f"'可选值'!$D$2:$D${len(branches) + 1}", strict=False)

    guide = workbook.create_sheet("填写说明")
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["B"].width = 90
    for line in GUIDE:
        guide.append(list(line))
    guide.append([])
    guide.append(["示例（仅作参考，本页内容不会被导入）"])
    guide.append(IMPORT_COLUMNS)
    for example in EXAMPLES:
        guide.append(example)
    for row in (1, guide.max_row - len(EXAMPLES) - 1):
        guide.cell(row=row, column=1).font = Font(bold=True)
    return workbook


def _at(values: list, index: int):
    return values[index] if index < len(values) else ""


GUIDE = [
    ("填写说明", "在“客户”工作表中从第 2 行起每行填写一位客户；第 1 行是列名，请勿修改。只有“姓名/名称”必填。"),
    (KIND, "个人 或 企业；留空按个人。"),
    (NAME, "必填。个人填姓名，企业填营业执照上的名称。"),
    (PHONE, "1 开头的 11 位手机号，或带区号的固定电话。请按文本填写。"),
    (ID, "个人填 18 位身份证号，企业填 18 位统一社会信用代码。请按文本填写，以免 Excel 丢失末尾数字。"),
    (CATEGORY, "普通客户、重要客户 或 黑名单；留空按普通客户。"),
    (GRADE, "A、B、C、D、E 之一（A 风险最低）；留空按 B。"),
    (SOURCE, "系统中已有的来源渠道名称（见“可选值”）；留空表示不填。"),
    (TAGS, "系统中已有的标签，多个用逗号或顿号分隔（见“可选值”）；不会自动新建标签。"),
    (BRANCH, "网点代码或名称，须在您的数据范围内（见“可选值”）；留空为您所在的网点。"),
    (OWNER, "客户经理的登录用户名；留空表示不指定。"),
    (ACQUIRED, "日期，如 2026-11-28；不能晚于营业日；留空为营业日。"),
    (EMPLOYER, "个人填工作单位，企业填法定代表人。"),
    (MONEY, "个人填月收入，企业填注册资本，单位元，最多两位小数。"),
    (MARITAL, "未婚、已婚、离异 或 丧偶，仅个人客户填写。"),
    (ACCOUNT, "银行账号，只含数字。请按文本填写。"),
    ("重复检查", "证件号、手机号与系统中已有客户或文件中其他行相同的，该行不会导入。"),
    ("导入方式", "上传后系统先试导入并列出每一行的问题，确认后才保存；导入只新增客户，不会修改或删除已有客户。"),
]
EXAMPLES = [
    ["个人", "张三", "13812345678", "11010519491231002X", "普通客户", "B", "", "", "", "", "2026-11-28",
     "北京市朝阳区示例路 1 号", "示例科技有限公司", "8000", "已婚", "", "中国工商银行", "6222021234567890123", ""],
    ["企业", "示例商贸有限公司", "010-62345678", "91110000600037341L", "重要客户", "A", "", "", "", "", "",
     "北京市海淀区示例大街 2 号", "李四", "1000000", "", "批发零售", "", "", ""],
]
