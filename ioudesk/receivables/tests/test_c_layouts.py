"""Statement files of every layout read back line by line (docs/domain.md §26): the generator
(tests/bankfiles.py) writes them as the banks do, the parsers must find the header below the
title and account rows, skip the footers and read each line's date, time, side, amount, other
party, memo and serial; an unknown layout is refused naming the columns it lacks."""

from datetime import date, datetime, time
from decimal import Decimal as D

import pytest

from ioudesk.core.errors import ValidationFailed
from ioudesk.receivables import bankfiles
from ioudesk.receivables.tests.bankfiles import (
    LAYOUTS,
    Line,
    statement_file,
    statement_filename,
    statement_rows,
)

LINES = [
    Line(day=date(2026, 11, 2), at=time(9, 15, 23), amount=D("11300.00"), name="杭州启明电子有限公司",
         account="1202020109900088888", bank="中国工商银行杭州高新支行", memo="货款 YS20261015-0001",
         reference="R0001"),
    Line(day=date(2026, 11, 3), at=time(10, 2, 5), amount=D("1234567.89"), name="宁波海曙恒信五金厂",
         account="6222021234567890123", bank="宁波银行海曙支行", memo="10月货款", reference="R0002"),
    Line(day=date(2026, 11, 3), at=time(16, 45, 0), amount=D("25.00"), direction="out", memo="手续费",
         reference="R0003"),
    Line(day=date(2026, 11, 5), at=time(11, 0, 59), amount=D("50000.00"), direction="out",
         name="浙江中通供应链管理有限公司", account="33050161672700999888", bank="中国建设银行杭州分行",
         memo="采购款 CG20261020-0003", reference="R0004"),
]
BANK_NAME = {"icbc": "icbc", "ccb": "ccb", "abc": "abc", "boc": "boc", "cmb": "cmb", "bocom": "bocom",
             "alipay": "alipay", "alipay_web": "alipay", "wechat": "wechat"}
FORMATS = [(layout, "xlsx", None) for layout in LAYOUTS] + [
    (layout, "csv", encoding) for layout in LAYOUTS for encoding in ("gbk", "gb18030", "utf-8", "utf-8-sig")]


@pytest.mark.parametrize(("layout", "fmt", "encoding"), FORMATS)
def test_every_layout_reads_back(layout, fmt, encoding):
    data = statement_file(layout, LINES, fmt=fmt, encoding=encoding)
    parsed = bankfiles.parse(data, filename=statement_filename(layout, fmt))
    assert parsed.bank == BANK_NAME[layout]
    assert [line.amount for line in parsed.lines] == [D("11300.00"), D("1234567.89"), D("25.00"), D("50000.00")]
    assert [line.direction for line in parsed.lines] == ["receivable", "receivable", "payable", "payable"]
    assert [line.day for line in parsed.lines] == [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 3),
                                                    date(2026, 11, 5)]
    first = parsed.lines[0]
    assert first.booked_at == datetime(2026, 11, 2, 9, 15, 23)
    assert first.name == "杭州启明电子有限公司"
    assert "YS20261015-0001" in first.memo
    if layout != "abc":  # 农业银行's export shows no serial
        assert first.reference == "R0001"
    if layout not in ("alipay_web", "wechat"):  # these two do not show the other party's account
        assert first.account == "1202020109900088888"
    if layout not in ("alipay", "alipay_web", "wechat"):
        assert first.balance == D("111300.00")  # the running 余额 from the opening 100,000.00
        assert parsed.lines[3].balance == D("1295842.89")
        assert parsed.lines[3].name == "浙江中通供应链管理有限公司"  # BOC: the payee on money out
        assert parsed.period_from == date(2026, 11, 2) and parsed.period_to == date(2026, 11, 5)
    assert parsed.account_number  # from the rows above the header
    assert parsed.skipped == []


def test_the_rows_above_the_header_and_the_footers_are_real():
    """Not a bare table: titles, account and period rows, then 合计/笔数 after the lines."""
    rows = statement_rows("icbc", LINES)
    assert rows[0] == ["中国工商银行企业网上银行 账户历史明细"]
    assert rows[1][0] == "账号：1202020109900012345"
    assert rows[-2][0] == "合计" and rows[-1] == ["借方笔数：2", "贷方笔数：2"]
    assert rows[5][6] == "1,234,567.89"  # thousands separators
    parsed = bankfiles.parse(statement_file("icbc", LINES))
    assert parsed.account_number == "1202020109900012345" and parsed.header_row == 4


def test_icbc_csv_is_gbk_and_keeps_long_numbers_with_a_tab():
    data = statement_file("icbc", LINES)
    assert data.decode("gbk").startswith("中国工商银行")
    assert "1202020109900088888\t" in data.decode("gbk")


def test_platform_bills_skip_neutral_and_closed_trades():
    lines = LINES[:2] + [Line(day=date(2026, 11, 4), amount=D("500.00"), neutral=True),
                         Line(day=date(2026, 11, 4), amount=D("88.00"), name="李娜", status="交易关闭")]
    for layout in ("alipay", "alipay_web", "wechat"):
        parsed = bankfiles.parse(statement_file(layout, lines))
        assert len(parsed.lines) == 2, layout
        assert [why for _row, why in parsed.skipped][:1] in (["不计收支"], ["中性交易"])
        assert len(parsed.skipped) == 2


def test_wechat_amounts_carry_the_yen_sign_and_the_dashed_line():
    text = statement_file("wechat", LINES).decode("utf-8-sig")
    assert "----------------------微信支付账单明细列表--------------------" in text
    assert "¥11300.00" in text


def test_unknown_layout_is_refused_naming_the_missing_columns():
    data = "某某农商银行流水\n序号,日期,说明,备注\n1,2026-11-02,货款,\n".encode("gbk")
    with pytest.raises(ValidationFailed) as refused:
        bankfiles.parse(data, filename="流水.csv")
    message = str(refused.value.message)
    assert "第2行像是表头" in message
    assert "金额" in message and "自定义列对应" in message
    assert refused.value.code == "statement_unknown_layout"


def test_a_file_without_any_header():
    with pytest.raises(ValidationFailed) as refused:
        bankfiles.parse(b"1,2\n3,4\n", filename="x.csv")
    assert "没有找到表头" in str(refused.value.message)


def test_the_chosen_bank_must_fit():
    data = statement_file("ccb", LINES)
    with pytest.raises(ValidationFailed) as refused:
        bankfiles.parse(data, filename="x.xlsx", bank="icbc")
    message = str(refused.value.message)
    assert "不是中国工商银行的账户明细格式" in message and "“本方账号”" not in message
    assert "缺少“借方发生额”、“贷方发生额”列" in message  # ICBC's words; CCB writes 借方发生额（支取）
    assert bankfiles.parse(data, filename="x.xlsx", bank="ccb").bank == "ccb"


def test_a_bad_row_refuses_the_whole_file_naming_it():
    rows = statement_file("bocom", LINES, fmt="csv", encoding="utf-8").decode("utf-8").splitlines()
    rows[4] = rows[4].replace("2026-11-02 09:15:23", "2026-13-45 09:15:23")
    with pytest.raises(ValidationFailed) as refused:
        bankfiles.parse("\n".join(rows).encode("utf-8"), filename="x.csv")
    assert "第5行：交易日期“2026-13-45 09:15:23”无法识别" in str(refused.value.message)


def test_old_xls_and_pdf_say_what_to_do():
    with pytest.raises(ValidationFailed, match="另存为 .xlsx"):
        bankfiles.parse(b"\xd0\xcf\x11\xe0" + b"\0" * 100, filename="明细.xls")
    with pytest.raises(ValidationFailed, match="PDF"):
        bankfiles.parse(b"%PDF-1.4", filename="回单.pdf")


def test_column_mapping_for_another_bank():
    text = ("杭州联合农村商业银行 账户交易明细\n"
            "账号：201000123456789,户名：杭州禾丰贸易有限公司\n"
            "记账日期,收入金额,支出金额,账户余额,对方名称,对方账号,附言,流水号\n"
            "2026/11/02,\"11,300.00\",,\"111,300.00\",杭州启明电子有限公司,1202020109900088888,货款 YS20261015-0001,LH01\n"
            "2026/11/03,,25.00,\"111,275.00\",,,手续费,LH02\n"
            "合计,\"11,300.00\",25.00\n")
    columns = {"day": "记账日期", "credit": "收入金额", "debit": "支出金额", "balance": "账户余额", "name": "对方名称",
               "account": "对方账号", "memo": "附言", "reference": "流水号"}
    with pytest.raises(ValidationFailed, match="无法识别流水格式"):
        bankfiles.parse(text.encode("gbk"), filename="联合银行.csv")
    parsed = bankfiles.parse(text.encode("gbk"), filename="联合银行.csv", mapping=columns)
    assert parsed.bank == "mapped" and parsed.account_number == "201000123456789"
    assert [(line.day, line.direction, line.amount) for line in parsed.lines] == [
        (date(2026, 11, 2), "receivable", D("11300.00")), (date(2026, 11, 3), "payable", D("25.00"))]
    assert parsed.lines[0].memo == "货款 YS20261015-0001" and parsed.lines[0].balance == D("111300.00")


def test_column_mapping_with_one_signed_amount_and_a_flag():
    text = "日期,金额,方向,摘要\n20261102,\"1,000.00\",收,货款\n20261103,-20.00,,手续费\n"
    signed = bankfiles.parse(text.encode(), mapping={"day": "日期", "amount": "金额", "memo": "摘要"})
    assert [(x.direction, x.amount) for x in signed.lines] == [("receivable", D("1000.00")), ("payable", D("20.00"))]
    with pytest.raises(ValidationFailed) as refused:
        bankfiles.parse(text.encode(), mapping={"day": "日期", "memo": "摘要"})
    assert "请选择金额列" in str(refused.value.message)


def test_header_of_offers_the_columns_for_the_mapping_form():
    text = "某银行\n记账日期,收入金额,支出金额,对方名称\n2026-11-02,1.00,,甲\n"
    assert bankfiles.header_of(text.encode()) == (2, ["记账日期", "收入金额", "支出金额", "对方名称"])
