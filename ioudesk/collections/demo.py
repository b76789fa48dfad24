"""Demo collections for `make demo`: the default strategies, an outside agency, the collectors'
profiles and assignment rules, the cases of the overdue demo IOUs opened and given out by
yesterday's close step, and a phone call with a promise to pay on one of them. Idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ioudesk.collections import selectors, services
from ioudesk.collections.daystep import collections_day_step
from ioudesk.collections.models import (
    Agency,
    AssignmentRule,
    Case,
    CaseStatus,
    CollectorProfile,
    ContactMethod,
    OutcomeCode,
    Party,
)
from ioudesk.core import clock


def load() -> list[str]:
    from ioudesk.core.models import Branch, User

    created = services.strategy_defaults_ensure()
    agency = Agency.objects.filter(name="华信清收服务有限公司").first()
    if agency is None:
        agency = services.agency_save(agency=Agency(name="华信清收服务有限公司", contact_name="钱进",
                                                    phone="13800138000", commission_rate=Decimal("0.1500")))
    users = {u.username: u for u in User.objects.filter(username__in=["zhaolei", "huangmin", "sunli"])}
    for username, skills in (("zhaolei", "M1,M2,M3"), ("huangmin", "")):
        user = users.get(username)
        if user is not None and not CollectorProfile.objects.filter(user=user).exists():
            services.collector_profile_save(profile=CollectorProfile(user=user, skills=skills, max_open_cases=200))
    if not AssignmentRule.objects.exists():
        branches = {b.code: b for b in Branch.objects.all()}
        if "BJ" in branches and "zhaolei" in users:
            services.assignment_rule_save(rule=AssignmentRule(order=10, name="北京 M1–M3 电话催收", buckets="M1,M2,M3",
                                                              branch=branches["BJ"]), collectors=[users["zhaolei"]])
        if "SH" in branches and "huangmin" in users:
            services.assignment_rule_save(rule=AssignmentRule(order=20, name="上海 全部账龄", branch=branches["SH"]),
                                          collectors=[users["huangmin"]])
        services.assignment_rule_save(rule=AssignmentRule(order=90, name="M4 以上委外", buckets="M4,M5,M6,M7+",
                                                          agency=agency), collectors=[])
    yesterday = clock.today() - dt.timedelta(days=1)
    counts = collections_day_step(day=yesterday)
    contacts = 0
    case = (Case.objects.filter(status=CaseStatus.OPEN, owner__isnull=False, contacts__isnull=True)
            .select_related("owner", "iou", "customer").order_by("pk").first())
    if case is not None and case.arrears > 0 and not case.contacts.exists():
        called = dt.datetime.combine(clock.today(), dt.time(10, 15), tzinfo=selectors.BEIJING)
        amount = min(case.arrears, Decimal("500.00"))
        with clock.frozen(clock.today()):
            services.contact_record_create(
                case, method=ContactMethod.PHONE, party=Party.DEBTOR, outcome=OutcomeCode.PROMISED,
                notes="债务人称本月工资延迟发放，承诺三天内先还一部分。", next_step="到期日核对还款",
                contacted_at=min(called, dt.datetime.now(tz=selectors.BEIJING)), by=case.owner,
                promise=(amount, clock.today() + dt.timedelta(days=3)))
        contacts = 1
    opened = Case.objects.filter(status=CaseStatus.OPEN).count()
    return [f"催收：默认策略 {created} 条（新建）；在办案件 {opened} 件（本次立案 {counts.get('opened', 0)} 件，"
            f"按规则分案 {counts.get('assigned', 0)} 件）；催收记录 {contacts} 条（新建）"]
