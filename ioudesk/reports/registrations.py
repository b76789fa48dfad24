"""What the reports app adds at start-up: each part's reports (ReportSpec) and the close's day step,
registered by the module that owns them; ``register()`` calls them all (docs/architecture.md, 报表)."""


def register() -> None:
    from ioudesk.reports import (
        cube,  # Q: PortfolioCube, the grouped portfolio of the latest closed day and of each month end
        customer_figures,  # C: CustomerFigure, each customer's figures at the latest closed day
        daystep,  # A: the close's day step `reports` (daily figures, month-end snapshot, differences)
        financial,  # D: 资产负债表, 利润表
        income,  # B: 利息收入, 客户贷款分析
        ledger_days,  # L: LedgerDay, each account's debits and credits per posting day
        moves,  # M: MonthEndMove, tier and bucket moves between two month ends
        origination,  # C: 贷款申请与发放, 审批, 流程与效率
        portfolio,  # B: 贷款余额, 逾期与账龄, 五级分类, 不良率趋势, 核销与收回
        provisions,  # B: 贷款损失准备
        receivables_reports,  # C: 客户欠款分析, 账龄分析, 回款趋势 (往来账款)
        regulatory,  # D: 业务状况月报
        schedules,  # F: the scheduler's slot for 定时报告
        servicing,  # C: 还款, 回收与滚动率
    )

    # the day step last: it labels the counts of the day writers the others registered
    for module in (portfolio, provisions, income, origination, servicing, receivables_reports,
                   regulatory, financial, schedules, cube, moves, customer_figures, ledger_days, daystep):
        module.register()
