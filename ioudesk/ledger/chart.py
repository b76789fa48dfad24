"""The chart of accounts (科目表) for lending, after the PRC enterprise accounting codes where one fits.

Codes are stable: the rest of the product refers to them through :class:`AccountCode`, never by
name. ``chart_ensure()`` (in :mod:`ioudesk.ledger.services`) creates what is missing and touches
nothing that exists, so an administrator's renames survive. Funding accounts are the active leaf
accounts under 1001 库存现金 and 1002 银行存款; add bank sub-accounts (100202 …) with
``services.account_add``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ioudesk.ledger.models import AccountType, Component, NormalSide


class AccountCode(StrEnum):
    CASH = "1001"  # 库存现金
    BANK = "1002"  # 银行存款 (summary: post to a sub-account)
    BANK_BASIC = "100201"  # 银行存款-基本户: the default funding account
    NOTES_RECEIVABLE = "1121"  # 应收票据: acceptance bills (承兑汇票) received
    RECEIVABLES = "1122"  # 应收账款: money owed on 欠条 and on receivables bills for goods and services
    PREPAYMENTS = "1123"  # 预付账款: payments made and not yet matched to a supplier's bill
    INVENTORY = "1405"  # 库存商品: goods bought on a payable bill
    LOANS = "1301"  # 贷款-本金 (loans receivable)
    PROVISION = "1310"  # 贷款损失准备: a contra-asset against 1301, its balance on the credit side (reports.provisions)
    INTEREST_RECEIVABLE = "1302"  # 应收利息
    PENALTY_RECEIVABLE = "1303"  # 应收罚息
    FEES_RECEIVABLE = "1304"  # 应收费用
    PAYABLES = "2202"  # 应付账款: supplier bills we owe
    ADVANCE_RECEIPTS = "2203"  # 预收账款: receipts not yet matched to a bill (待核销)
    TAXES = "2221"  # 应交税费 (summary)
    OUTPUT_VAT = "222101"  # 应交增值税（销项税额）
    INPUT_VAT = "222102"  # 应交增值税（进项税额）
    CUSTOMER_CREDIT = "2241"  # 客户溢缴款 (overpayments held for the customer)
    PAID_IN_CAPITAL = "4001"  # 实收资本 (how lending money gets onto the books)
    SALES_INCOME = "6001"  # 营业收入: the other side of a 欠条's receivable
    INTEREST_INCOME = "6011"  # 利息收入
    PENALTY_INCOME = "6012"  # 罚息收入
    FEE_INCOME = "6021"  # 手续费收入
    RECOVERY_INCOME = "6051"  # 核销后收回收入
    ADMIN_EXPENSE = "6602"  # 管理费用: services bought on a payable bill
    FINANCE_EXPENSE = "6603"  # 财务费用: bank charges (a statement's fee lines set aside from matching)
    LOAN_LOSS = "6701"  # 贷款损失 (write-off expense)
    CREDIT_IMPAIRMENT = "6711"  # 信用减值损失: the loan-loss provision charged (and released) at a month end
    WAIVER_EXPENSE = "6702"  # 减免支出
    MEMO_WRITTEN_OFF_PRINCIPAL = "9001"  # 核销本金（表外）
    MEMO_WRITTEN_OFF_INTEREST = "9002"  # 核销利息（表外）
    MEMO_CONTRA = "9901"  # 表外登记对方


@dataclass(frozen=True)
class ChartAccount:
    code: str
    name: str
    type: str
    parent: str | None = None
    side: str | None = None  # the normal side when it is not the type's (a contra account: 1310)

    @property
    def normal_side(self) -> str:
        return self.side or NORMAL_SIDES[self.type]


NORMAL_SIDES = {
    AccountType.ASSET: NormalSide.DEBIT,
    AccountType.EXPENSE: NormalSide.DEBIT,
    AccountType.MEMO_DEBIT: NormalSide.DEBIT,
    AccountType.LIABILITY: NormalSide.CREDIT,
    AccountType.EQUITY: NormalSide.CREDIT,
    AccountType.INCOME: NormalSide.CREDIT,
    AccountType.MEMO_CREDIT: NormalSide.CREDIT,
}

# Names are data, not translated: they are what the books say (an administrator may rename them).
CHART: tuple[ChartAccount, ...] = (
    ChartAccount(AccountCode.CASH, "库存现金", AccountType.ASSET),
    ChartAccount(AccountCode.BANK, "银行存款", AccountType.ASSET),
    ChartAccount(AccountCode.BANK_BASIC, "基本户", AccountType.ASSET, parent=AccountCode.BANK),
    ChartAccount(AccountCode.NOTES_RECEIVABLE, "应收票据", AccountType.ASSET),
    ChartAccount(AccountCode.RECEIVABLES, "应收账款", AccountType.ASSET),
    ChartAccount(AccountCode.PREPAYMENTS, "预付账款", AccountType.ASSET),
    ChartAccount(AccountCode.INVENTORY, "库存商品", AccountType.ASSET),
    ChartAccount(AccountCode.LOANS, "贷款-本金", AccountType.ASSET),
    ChartAccount(AccountCode.INTEREST_RECEIVABLE, "应收利息", AccountType.ASSET),
    ChartAccount(AccountCode.PENALTY_RECEIVABLE, "应收罚息", AccountType.ASSET),
    ChartAccount(AccountCode.FEES_RECEIVABLE, "应收费用", AccountType.ASSET),
    ChartAccount(AccountCode.PROVISION, "贷款损失准备", AccountType.ASSET, side=NormalSide.CREDIT),
    ChartAccount(AccountCode.PAYABLES, "应付账款", AccountType.LIABILITY),
    ChartAccount(AccountCode.ADVANCE_RECEIPTS, "预收账款", AccountType.LIABILITY),
    ChartAccount(AccountCode.TAXES, "应交税费", AccountType.LIABILITY),
    ChartAccount(AccountCode.OUTPUT_VAT, "应交增值税（销项税额）", AccountType.LIABILITY, parent=AccountCode.TAXES),
    ChartAccount(AccountCode.INPUT_VAT, "应交增值税（进项税额）", AccountType.LIABILITY, parent=AccountCode.TAXES),
    ChartAccount(AccountCode.CUSTOMER_CREDIT, "客户溢缴款", AccountType.LIABILITY),
    ChartAccount(AccountCode.PAID_IN_CAPITAL, "实收资本", AccountType.EQUITY),
    ChartAccount(AccountCode.SALES_INCOME, "营业收入", AccountType.INCOME),
    ChartAccount(AccountCode.INTEREST_INCOME, "利息收入", AccountType.INCOME),
    ChartAccount(AccountCode.PENALTY_INCOME, "罚息收入", AccountType.INCOME),
    ChartAccount(AccountCode.FEE_INCOME, "手续费收入", AccountType.INCOME),
    ChartAccount(AccountCode.RECOVERY_INCOME, "核销后收回收入", AccountType.INCOME),
    ChartAccount(AccountCode.ADMIN_EXPENSE, "管理费用", AccountType.EXPENSE),
    ChartAccount(AccountCode.FINANCE_EXPENSE, "财务费用", AccountType.EXPENSE),
    ChartAccount(AccountCode.LOAN_LOSS, "贷款损失", AccountType.EXPENSE),
    ChartAccount(AccountCode.WAIVER_EXPENSE, "减免支出", AccountType.EXPENSE),
    ChartAccount(AccountCode.CREDIT_IMPAIRMENT, "信用减值损失", AccountType.EXPENSE),
    ChartAccount(AccountCode.MEMO_WRITTEN_OFF_PRINCIPAL, "核销本金（表外）", AccountType.MEMO_DEBIT),
    ChartAccount(AccountCode.MEMO_WRITTEN_OFF_INTEREST, "核销利息（表外）", AccountType.MEMO_DEBIT),
    ChartAccount(AccountCode.MEMO_CONTRA, "表外登记对方", AccountType.MEMO_CREDIT),
)

FUNDING_ROOTS = (AccountCode.CASH, AccountCode.BANK)

# The per-IOU balances the ledger knows, by the account (or an ancestor of it) they live on.
# Each is the balance on the account's normal side: principal outstanding = Dr − Cr on 1301;
# overpayment (customer credit) = Cr − Dr on 2241.
ACCOUNT_COMPONENTS: dict[str, str] = {
    AccountCode.RECEIVABLES: Component.PRINCIPAL,
    AccountCode.LOANS: Component.PRINCIPAL,
    AccountCode.INTEREST_RECEIVABLE: Component.INTEREST,
    AccountCode.PENALTY_RECEIVABLE: Component.PENALTY,
    AccountCode.FEES_RECEIVABLE: Component.FEE,
    AccountCode.CUSTOMER_CREDIT: Component.OVERPAYMENT,
    AccountCode.MEMO_WRITTEN_OFF_PRINCIPAL: Component.WRITTEN_OFF_PRINCIPAL,
    AccountCode.MEMO_WRITTEN_OFF_INTEREST: Component.WRITTEN_OFF_INTEREST,
}
IOU_COMPONENTS: tuple[str, ...] = tuple(str(c.value) for c in ACCOUNT_COMPONENTS.values())

# The tag a posting gets when its line names none.
DEFAULT_COMPONENTS: dict[str, str] = {
    **ACCOUNT_COMPONENTS,
    AccountCode.CASH: Component.CASH,
    AccountCode.BANK: Component.CASH,
    AccountCode.MEMO_CONTRA: Component.MEMO,
}
ACCOUNT_COMPONENTS = {code: str(c.value) for code, c in ACCOUNT_COMPONENTS.items()}
DEFAULT_COMPONENTS = {code: str(c.value) for code, c in DEFAULT_COMPONENTS.items()}
DEFAULT_COMPONENT_BY_TYPE: dict[str, str] = {
    AccountType.INCOME: Component.INCOME,
    AccountType.EXPENSE: Component.EXPENSE,
}
