"""Number prefixes of the receivables documents (``core.numbering``: <PREFIX><YYYYMMDD>-<NNNN>).

The memo-matching rule looks for these in a bank memo, written with or without the dash."""

RECEIVABLE_BILL = "YS"  # 应收单 (销售单/服务单)
PAYABLE_BILL = "YF"  # 应付单 (a supplier's bill)
CREDIT_NOTE = "HZ"  # 红字冲减单
ADJUSTMENT = "TZ"  # 调整单
PURCHASE_ORDER = "CG"  # 采购订单
RECEIPT = "SK"  # 收款单
PAYMENT = "FK"  # 付款单
BANK_STATEMENT = "LS"  # 银行流水导入批次
ACCOUNT_STATEMENT = "DZ"  # 对账单

BILL_PREFIXES = (RECEIVABLE_BILL, PAYABLE_BILL)
