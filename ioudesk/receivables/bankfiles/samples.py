"""Statement files as the banks and payment platforms write them, made from a list of lines: for
the demo data (``receivables/demo.py``), the import's tests, the bench (``make bench``) and the
browser test. Product code (the demo uses it), so it lives here, not under tests/; no database.

    from ioudesk.receivables.bankfiles.samples import Line, statement_file, statement_filename

    lines = [Line(day=date(2026, 11, 2), amount=Decimal("11300.00"), name="杭州启明电子有限公司",
                  account="1202020109900088888", bank="中国工商银行杭州分行", memo="货款 YS20261015-0001"),
             Line(day=date(2026, 11, 3), amount=Decimal("25.00"), direction="out", memo="手续费")]
    data = statement_file("icbc", lines)                  # bytes: a GBK .csv as ICBC exports it
    data = statement_file("ccb", lines, fmt="csv", encoding="gb18030")
    name = statement_filename("icbc")                     # "工商银行账户明细_20261102-20261103.csv"

``layout``: one of ``LAYOUTS`` — icbc, ccb, abc, boc, cmb, bocom (corporate account details),
alipay (the app's 交易明细, 2023 on), alipay_web (the older web site's 交易记录明细查询), wechat
(微信支付账单明细). ``fmt``: "csv" or "xlsx" (each layout has the default its bank uses:
``DEFAULT_FORMAT``); ``encoding`` for csv: "gbk", "gb18030", "utf-8", "utf-8-sig".
Every file has the layout's title rows, the account/period rows above the header, the header
itself, and the footers (合计/笔数, dashed lines, 共N笔记录 …). Amounts are written with
thousands separators (or as numbers in .xlsx where the bank does), a running 余额 from
``opening_balance``. A ``Line`` without a ``reference`` gets a serial made from its content
when the layout has one (``auto_reference``), and without ``at`` a time of day made the same way
(so one transaction has the same serial and time in two overlapping statements); the same lines
always give the same bytes (the .xlsx's document dates are fixed), so importing
the same file twice is importing the same bytes.

``sample_lines(n, seed=…)`` makes n plausible lines (customers' transfers with or without a bill
number in the memo, a few fees and payments out) for benches and demos.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

LAYOUTS = ("icbc", "ccb", "abc", "boc", "cmb", "bocom", "alipay", "alipay_web", "wechat")
DEFAULT_FORMAT = {
    "icbc": ("csv", "gbk"), "ccb": ("xlsx", None), "abc": ("xlsx", None), "boc": ("csv", "gbk"),
    "cmb": ("xlsx", None), "bocom": ("xlsx", None), "alipay": ("csv", "gbk"), "alipay_web": ("csv", "gbk"),
    "wechat": ("csv", "utf-8-sig"),
}
BANK_NAMES = {"icbc": "工商银行", "ccb": "建设银行", "abc": "农业银行", "boc": "中国银行", "cmb": "招商银行",
              "bocom": "交通银行", "alipay": "支付宝", "alipay_web": "支付宝", "wechat": "微信支付"}
OUR_NAME = "杭州禾丰贸易有限公司"
OUR_ACCOUNTS = {"icbc": "1202020109900012345", "ccb": "33050161672700000123", "abc": "19035101040012345",
                "boc": "375858012345", "cmb": "571908888810101", "bocom": "310066726018010012345",
                "alipay": "hefeng@example.com", "alipay_web": "hefeng@example.com", "wechat": "禾丰贸易"}
FIXED_DOC_TIME = datetime(2026, 12, 1, 9, 30, 12)


@dataclass(frozen=True)
class Line:
    day: date
    amount: Decimal  # > 0
    direction: str = "in"  # "in" (money received) or "out" (money paid)
    name: str = ""  # 对方户名
    account: str = ""  # 对方账号
    bank: str = ""  # 对方开户行
    memo: str = ""  # 摘要/附言 as the payer wrote it
    reference: str = ""  # the bank's serial (流水号)
    at: time | None = None  # time of day
    status: str = ""  # Alipay/WeChat: "" = the success word; e.g. "交易关闭", "已全额退款"
    neutral: bool = False  # Alipay 不计收支 / WeChat 中性交易 (not money in or out); banks leave it out


def _money(amount: Decimal, *, grouped: bool = True) -> str:
    return f"{amount:,.2f}" if grouped else f"{amount:.2f}"


def _prepared(lines: list[Line], layout: str, auto_reference: bool) -> list[Line]:
    """Times and serials for lines without them, made from the line itself (and its occurrence
    among identical lines), not from its position: the same transaction in two overlapping
    statements gets the same time and serial, as it does at the bank."""
    out, seen = [], {}
    for line in lines:
        key = f"{line.day}|{line.amount}|{line.direction}|{line.name}|{line.account}|{line.memo}"
        seen[key] = seen.get(key, 0) + 1
        digest = int(hashlib.sha256(f"{key}|{seen[key]}".encode()).hexdigest()[:15], 16)
        at = line.at or time(8 + digest % 9, digest // 9 % 60, digest // 540 % 60)
        reference = line.reference
        if not reference and auto_reference:
            stamp, n = line.day.strftime("%Y%m%d"), digest % 10**8
            reference = {"ccb": f"{stamp}-{n:08d}", "boc": f"ZD{stamp}{n % 10**6:06d}",
                         "cmb": f"K{stamp[2:]}{n % 10**7:07d}", "icbc": f"{n % 10**7:07d}",
                         "bocom": f"BC{stamp}{n:08d}", "alipay": f"{stamp}2200{n:010d}",
                         "alipay_web": f"{stamp}2100{n:010d}", "wechat": f"4200{stamp}{n:012d}"}.get(layout, "")
        out.append(replace(line, at=at, reference=reference))
    return out


def _period(lines: list[Line], period) -> tuple[date, date]:
    if period:
        return period
    days = [line.day for line in lines] or [date(2026, 11, 1)]
    return min(days), max(days)


def _balances(lines: list[Line], opening: Decimal) -> list[Decimal]:
    balance, out = opening, []
    for line in lines:
        if not line.neutral:
            balance += line.amount if line.direction == "in" else -line.amount
        out.append(balance)
    return out


def _totals(lines):
    money_in = [line.amount for line in lines if line.direction == "in" and not line.neutral]
    money_out = [line.amount for line in lines if line.direction == "out" and not line.neutral]
    return len(money_in), sum(money_in, Decimal(0)), len(money_out), sum(money_out, Decimal(0))


# --- one builder per layout: (rows, numeric columns in .xlsx) ------------------------------------

def _icbc(lines, balances, account, name, start, end):
    rows = [["中国工商银行企业网上银行 账户历史明细"],
            [f"账号：{account}", f"户名：{name}", "币种：人民币"],
            [f"起止日期：{start.isoformat()} 至 {end.isoformat()}"],
            ["凭证号", "本方账号", "对方账号", "交易时间", "借/贷", "借方发生额", "贷方发生额", "对方行号", "摘要", "用途",
             "对方单位名称", "余额", "个性化信息"]]
    for line, balance in zip(lines, balances, strict=True):
        out = line.direction == "out"
        stamp = datetime.combine(line.day, line.at).strftime("%Y-%m-%d %H:%M:%S")
        rows.append([line.reference, account + "\t", (line.account + "\t") if line.account else "", stamp,
                     "借" if out else "贷", _money(line.amount) if out else "", "" if out else _money(line.amount),
                     line.bank, "转支" if out else "汇入", line.memo, line.name, _money(balance), ""])
    n_in, s_in, n_out, s_out = _totals(lines)
    rows.append(["合计", "", "", "", "", f"借方发生额合计：{_money(s_out)}", f"贷方发生额合计：{_money(s_in)}"])
    rows.append([f"借方笔数：{n_out}", f"贷方笔数：{n_in}"])
    return rows


def _ccb(lines, balances, account, name, start, end):
    rows = [["中国建设银行单位客户账户明细"],
            [f"账号：{account}", f"账户名称：{name}", "币种：人民币"],
            [f"起始日期：{start:%Y%m%d}", f"结束日期：{end:%Y%m%d}"],
            ["交易时间", "借方发生额（支取）", "贷方发生额（收入）", "余额", "币种", "对方户名", "对方账号", "对方开户机构",
             "记账日期", "摘要", "备注", "账户明细编号-交易流水号", "企业流水号", "凭证种类", "凭证号"]]
    for line, balance in zip(lines, balances, strict=True):
        out = line.direction == "out"
        rows.append([datetime.combine(line.day, line.at).strftime("%Y%m%d %H:%M:%S"),
                     _money(line.amount) if out else "0.00", "0.00" if out else _money(line.amount), _money(balance),
                     "人民币", line.name, line.account, line.bank, f"{line.day:%Y%m%d}", "转账" if out else "网银转入",
                     line.memo, line.reference, "", "", ""])
    n_in, s_in, n_out, s_out = _totals(lines)
    rows.append(["合计", _money(s_out), _money(s_in), "", "", f"共{len(lines)}笔"])
    return rows


def _abc(lines, balances, account, name, start, end):
    rows = [["中国农业银行账户明细"],
            [f"账户：{account}", f"户名：{name}"],
            [f"查询日期：{start.isoformat()} 至 {end.isoformat()}"],
            [],
            ["交易时间", "收入金额", "支出金额", "本次余额", "手续费总额", "交易方式", "交易行名", "交易类别", "对方省市",
             "对方账号", "对方户名", "交易用途", "交易摘要", "交易附言"]]
    for line, balance in zip(lines, balances, strict=True):
        out = line.direction == "out"
        rows.append([datetime.combine(line.day, line.at).strftime("%Y-%m-%d %H:%M:%S"),
                     "" if out else _money(line.amount), _money(line.amount) if out else "", _money(balance), "0.00",
                     "网银", "杭州分行营业部", "转账", "浙江省杭州市", line.account, line.name, line.memo,
                     "转账支出" if out else "转账收入", ""])
    n_in, s_in, n_out, s_out = _totals(lines)
    rows.append([f"合计：收入 {n_in} 笔 {_money(s_in)} 元，支出 {n_out} 笔 {_money(s_out)} 元"])
    return rows


def _boc(lines, balances, account, name, start, end):
    header = ["交易类型[ Transaction Type ]", "业务类型[ Business type ]", "付款人开户行号[ Payer account bank ]",
              "付款人开户行名[ Payer account bank name ]", "付款人账号[ Debit Account No. ]", "付款人名称[ Payer's Name ]",
              "收款人开户行行号[ Payee account bank ]", "收款人开户行名[ Payee account bank name ]",
              "收款人账号[ Payee's Account Number ]", "收款人名称[ Payee's Name ]", "交易日期[ Transaction Date ]",
              "交易时间[ Transaction time ]", "交易货币[ Trade Currency ]", "交易金额[ Trade Amount ]",
              "交易后余额[ After-transaction balance ]", "起息日期[ Value Date ]", "汇率[ Exchange rate ]",
              "交易流水号[ Transaction reference number ]", "客户申请号[ Online Banking Transaction Ref ]",
              "客户业务编号[ Customer Transaction Ref ]", "凭证类型[ Type of Vouchers ]", "凭证号码[ Vouchers Number ]",
              "记录标识号[ Record ID ]", "摘要[ Reference ]", "用途[ Purpose ]", "交易附言[ Remark ]", "备注[ Remarks ]"]
    rows = [["中国银行企业网上银行 交易明细查询"],
            [f"账号：{account}", f"户名：{name}", f"查询期间：{start:%Y/%m/%d}-{end:%Y/%m/%d}"],
            header]
    ours = ["104331000017", "中国银行杭州分行", account, name]
    for line, balance in zip(lines, balances, strict=True):
        out = line.direction == "out"
        theirs = ["", line.bank, line.account, line.name]
        payer, payee = (ours, theirs) if out else (theirs, ours)
        rows.append(["往账" if out else "来账", "转账", *payer, *payee, f"{line.day:%Y%m%d}", line.at.strftime("%H:%M:%S"),
                     "人民币", ("-" if out else "") + _money(line.amount), _money(balance), f"{line.day:%Y%m%d}", "",
                     line.reference, "", "", "", "", "", "转账", "", line.memo, ""])
    return rows


CMB_HEADER = ["交易日", "交易时间", "起息日", "交易类型", "借方金额", "贷方金额", "余额", "摘要", "流水号", "流程实例号",
              "业务名称", "用途", "业务参考号", "业务摘要", "其它摘要", "收/付方分行名", "收/付方名称", "收/付方帐号",
              "收/付方开户行行号", "收/付方开户行名", "收/付方开户行地址", "母/子公司帐号分行名", "母/子公司帐号", "母/子公司名称",
              "信息标志", "有否附件信息", "冲帐标志", "扩展摘要", "交易分析码", "票据号", "商务支付订单号", "内部编号"]


def _cmb(lines, balances, account, name, start, end):
    rows = [["招商银行交易明细"],
            [f"账号：{account}", f"账户名称：{name}", "币种：人民币"],
            [f"查询日期：{start.isoformat()} — {end.isoformat()}"],
            CMB_HEADER]
    for line, balance in zip(lines, balances, strict=True):
        out = line.direction == "out"
        row = [""] * len(CMB_HEADER)
        row[0], row[1], row[2] = f"{line.day:%Y%m%d}", line.at.strftime("%H:%M:%S"), f"{line.day:%Y%m%d}"
        row[3] = "付款" if out else "汇入汇款"
        row[4] = line.amount if out else None
        row[5] = None if out else line.amount
        row[6] = balance
        row[7] = "支付" if out else "汇入"
        row[8] = line.reference
        row[11] = line.memo
        row[16], row[17], row[19] = line.name, line.account, line.bank
        rows.append(row)
    return rows


def _bocom(lines, balances, account, name, start, end):
    rows = [["交通银行账户交易明细"],
            [f"账号：{account}", f"户名：{name}"],
            [f"查询起始日期：{start.isoformat()}", f"查询截止日期：{end.isoformat()}"],
            ["交易时间", "凭证种类", "凭证号码", "摘要", "借贷标志", "交易金额", "余额", "对方账号", "对方户名", "对方开户行",
             "交易流水号", "附言", "企业流水号"]]
    for line, balance in zip(lines, balances, strict=True):
        out = line.direction == "out"
        rows.append([datetime.combine(line.day, line.at), "", "", "转账" if out else "网银来账", "借" if out else "贷",
                     line.amount, balance, line.account, line.name, line.bank, line.reference, line.memo, ""])
    n_in, s_in, n_out, s_out = _totals(lines)
    rows.append(["合计", "", "", "", "借", s_out])
    rows.append(["合计", "", "", "", "贷", s_in])
    rows.append([f"借方笔数：{n_out}", f"贷方笔数：{n_in}"])
    return rows


def _alipay(lines, balances, account, name, start, end):
    n_in, s_in, n_out, s_out = _totals(lines)
    neutral = [line for line in lines if line.neutral]
    dash = "-" * 84
    rows = [[dash], ["导出信息："], [f"姓名：{name}"], [f"支付宝账户：{account}"],
            [f"起始时间：[{start.isoformat()} 00:00:00]    终止时间：[{end.isoformat()} 23:59:59]"],
            ["导出交易类型：[全部]"], [f"导出时间：[{FIXED_DOC_TIME:%Y-%m-%d %H:%M:%S}]"],
            [f"共{len(lines)}笔记录"], [f"收入：{n_in}笔 {_money(s_in)}元"], [f"支出：{n_out}笔 {_money(s_out)}元"],
            [f"不计收支：{len(neutral)}笔 {_money(sum((x.amount for x in neutral), Decimal(0)))}元"],
            ["特别提示："],
            ["1.本回单内容可表明支付宝受理了相关支付指令，不作为收款方或付款方是否实际收到款项的依据。"],
            ["2.本回单如经任何涂改、编造，均立即失去效力。"],
            ["------------------------支付宝（中国）网络技术有限公司  电子客户回单------------------------"],
            ["交易时间", "交易分类", "交易对方", "对方账号", "商品说明", "收/支", "金额", "收/付款方式", "交易状态",
             "交易订单号", "商家订单号", "备注", ""]]
    for line in lines:
        side = "不计收支" if line.neutral else ("支出" if line.direction == "out" else "收入")
        rows.append([datetime.combine(line.day, line.at).strftime("%Y-%m-%d %H:%M:%S"), "转账红包" if line.neutral else "商业服务",
                     line.name, line.account, line.memo, side, _money(line.amount, grouped=False), "余额",
                     line.status or "交易成功", line.reference + "\t", "\t", "", ""])
    return rows


def _alipay_web(lines, balances, account, name, start, end):
    n_in, s_in, n_out, s_out = _totals(lines)
    rows = [["支付宝交易记录明细查询"], [f"账号:[{account}]"],
            [f"起始日期:[{start.isoformat()} 00:00:00]    终止日期:[{(end + timedelta(days=1)).isoformat()} 00:00:00]"],
            ["---------------------------------交易记录明细列表------------------------------------"],
            ["交易号", "商户订单号", "交易创建时间", "付款时间", "最近修改时间", "交易来源地", "类型", "交易对方", "商品名称",
             "金额（元）", "收/支", "交易状态", "服务费（元）", "成功退款（元）", "备注", "资金状态", ""]]
    for line in lines:
        stamp = datetime.combine(line.day, line.at).strftime("%Y-%m-%d %H:%M:%S")
        side = "" if line.neutral else ("支出" if line.direction == "out" else "收入")
        rows.append([line.reference + "\t", "\t", stamp, stamp, stamp, "其他（包括阿里巴巴和外部商家）", "即时到账交易",
                     line.name, line.memo, _money(line.amount, grouped=False), side, line.status or "交易成功", "0.00",
                     "0.00", "", "已收入" if line.direction == "in" else "已支出", ""])
    rows += [["------------------------------------------------------------------------------------"],
             [f"共{len(lines)}笔记录"], [f"已收入:{n_in}笔,{_money(s_in, grouped=False)}元"], ["待收入:0笔,0.00元"],
             [f"已支出:{n_out}笔,{_money(s_out, grouped=False)}元"], ["待支出:0笔,0.00元"],
             [f"导出时间:[{FIXED_DOC_TIME:%Y-%m-%d %H:%M:%S}]"]]
    return rows


def _wechat(lines, balances, account, name, start, end):
    n_in, s_in, n_out, s_out = _totals(lines)
    neutral = [line for line in lines if line.neutral]
    rows = [["微信支付账单明细"], [f"微信昵称：[{account}]"],
            [f"起始时间：[{start.isoformat()} 00:00:00] 终止时间：[{end.isoformat()} 23:59:59]"],
            ["导出类型：[全部]"], [f"导出时间：[{FIXED_DOC_TIME:%Y-%m-%d %H:%M:%S}]"], [],
            [f"共{len(lines)}笔记录"], [f"收入：{n_in}笔 {_money(s_in)}元"], [f"支出：{n_out}笔 {_money(s_out)}元"],
            [f"中性交易：{len(neutral)}笔 {_money(sum((x.amount for x in neutral), Decimal(0)))}元"],
            ["注："], ["1. 充值/提现/理财通购买/零钱通存取/信用卡还款等交易，将计入中性交易"],
            ["2. 本明细仅展示当前账单中的交易，不包括已删除的记录"], ["3. 本明细仅供个人对账使用"], [],
            ["----------------------微信支付账单明细列表--------------------"],
            ["交易时间", "交易类型", "交易对方", "商品", "收/支", "金额(元)", "支付方式", "当前状态", "交易单号", "商户单号", "备注"]]
    for line in lines:
        side = "/" if line.neutral else ("支出" if line.direction == "out" else "收入")
        status = line.status or ("支付成功" if line.direction == "out" else "已收钱")
        rows.append([datetime.combine(line.day, line.at).strftime("%Y-%m-%d %H:%M:%S"),
                     "零钱提现" if line.neutral else ("商户消费" if line.direction == "out" else "转账"),
                     line.name or "/", line.memo or "/", side, f"¥{line.amount:.2f}", "零钱", status,
                     line.reference + "\t", "\t", "/"])
    return rows


BUILDERS = {"icbc": _icbc, "ccb": _ccb, "abc": _abc, "boc": _boc, "cmb": _cmb, "bocom": _bocom,
            "alipay": _alipay, "alipay_web": _alipay_web, "wechat": _wechat}
NUMERIC_XLSX = {"cmb", "bocom"}
PLATFORMS = {"alipay", "alipay_web", "wechat"}  # these banks' .xlsx hold numbers and dates as cell values


def statement_rows(layout: str, lines: list[Line], *, account_number: str | None = None,
                   account_name: str = OUR_NAME, period: tuple[date, date] | None = None,
                   opening_balance: Decimal = Decimal("100000.00"), auto_reference: bool = True) -> list[list]:
    """The rows (title, account/period rows, header, lines, footers) before they are written."""
    if layout not in BUILDERS:
        raise ValueError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")
    if layout not in PLATFORMS:  # a bank has no neutral lines and no trade status
        lines = [line for line in lines if not line.neutral]
    prepared = _prepared(list(lines), layout, auto_reference)
    start, end = _period(prepared, period)
    account = account_number if account_number is not None else OUR_ACCOUNTS[layout]
    return BUILDERS[layout](prepared, _balances(prepared, opening_balance), account, account_name, start, end)


def _csv(rows: list[list], encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else (f"{v:.2f}" if isinstance(v, Decimal) else
                                               v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v)
                         for v in row])
    text = buffer.getvalue()
    if encoding.lower() in ("gbk", "gb2312", "cp936"):
        text = text.replace("¥", "￥")  # GBK has only the full-width sign
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


def _xlsx(rows: list[list], numeric: bool) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    for row in rows:
        values = []
        for value in row:
            if isinstance(value, Decimal):
                # openpyxl writes a Decimal as a number cell, exactly as written (no float on our side)
                value = value if numeric else f"{value:,.2f}"
            elif isinstance(value, datetime) and not numeric:
                value = value.strftime("%Y-%m-%d %H:%M:%S")
            elif isinstance(value, str):
                value = value.replace("\t", "")
            values.append(value)
        sheet.append(values)
    book.properties.created = book.properties.modified = FIXED_DOC_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def statement_file(layout: str, lines: list[Line], *, fmt: str | None = None, encoding: str | None = None,
                   account_number: str | None = None, account_name: str = OUR_NAME,
                   period: tuple[date, date] | None = None, opening_balance: Decimal = Decimal("100000.00"),
                   auto_reference: bool = True) -> bytes:
    """The file's bytes (see the module's docstring)."""
    default_fmt, default_encoding = DEFAULT_FORMAT[layout]
    fmt = fmt or default_fmt
    rows = statement_rows(layout, lines, account_number=account_number, account_name=account_name, period=period,
                          opening_balance=opening_balance, auto_reference=auto_reference)
    if fmt == "xlsx":
        return _xlsx(rows, layout in NUMERIC_XLSX)
    if fmt == "csv":
        return _csv(rows, encoding or default_encoding or "gbk")
    raise ValueError(f"fmt must be csv or xlsx, not {fmt!r}")


def statement_filename(layout: str, fmt: str | None = None, lines: list[Line] | None = None) -> str:
    fmt = fmt or DEFAULT_FORMAT[layout][0]
    if lines:
        start, end = _period(list(lines), None)
        return f"{BANK_NAMES[layout]}账户明细_{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"
    return f"{BANK_NAMES[layout]}账户明细.{fmt}"


PAYERS = ["杭州启明电子有限公司", "宁波海曙恒信五金厂", "绍兴柯桥锦绣纺织有限公司", "温州瓯海精工机械有限公司",
          "嘉兴南湖伟业包装材料有限公司", "湖州吴兴绿源建材有限公司", "金华婺城鸿运物流有限公司", "台州黄岩东方塑业有限公司"]


def sample_lines(n: int, *, seed: int = 0, start: date = date(2026, 11, 2), numbers: list[str] | None = None,
                 payers: list[str] | None = None) -> list[Line]:
    """n plausible lines: mostly customers' transfers (a third quoting a bill number from
    ``numbers`` in the memo), some fees and payments out; days spread over the working days
    after ``start``."""
    rng = random.Random(seed)
    payers = payers or PAYERS
    lines = []
    for position in range(n):
        day = start + timedelta(days=position * 20 // max(n, 1))
        kind = rng.random()
        if kind < 0.85:
            payer = rng.choice(payers)
            memo = rng.choice(["货款", "支付货款", "往来款", "服务费", "11月货款", ""])
            if numbers and rng.random() < 0.35:
                memo = f"{memo} {rng.choice(numbers)}".strip()
            amount = Decimal(rng.randrange(50_000, 5_000_000)) / 100
            lines.append(Line(day=day, amount=amount, name=payer, account=f"62{rng.randrange(10**15, 10**16)}",
                              bank="中国工商银行杭州分行", memo=memo))
        elif kind < 0.95:
            lines.append(Line(day=day, amount=Decimal(rng.choice(["5.00", "10.00", "25.00", "50.00"])),
                              direction="out", memo="手续费"))
        else:
            amount = Decimal(rng.randrange(100_000, 2_000_000)) / 100
            lines.append(Line(day=day, amount=amount, direction="out", name="浙江中通供应链管理有限公司",
                              account="33050161672700999888", bank="中国建设银行杭州分行", memo="采购款"))
    return lines
