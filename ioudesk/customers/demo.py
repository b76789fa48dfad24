"""Demo customers for `make demo`: individuals and companies across the branches, with tags,
contacts and channels. Created through the services, so they pass every check a real one does."""

from __future__ import annotations

from datetime import timedelta

from ioudesk.calc.idcheck import check_character
from ioudesk.calc.uscc import check_character as uscc_check
from ioudesk.core import clock
from ioudesk.core.models import Branch, User
from ioudesk.customers import catalogue
from ioudesk.customers.contacts import contact_save
from ioudesk.customers.models import Customer, CustomerKind, SourceChannel, Tag
from ioudesk.customers.services import customer_create, source_channels_ensure

TAGS = [("老客户", "success"), ("按时还款", "info"), ("需重点关注", "warning"), ("已起诉", "danger")]

PEOPLE = [
    # name, ID first 17, phone, branch, owner, category, grade, channel, tags, employer, income
    ("王建国", "11010519750312041", "13901012345", "BJ01", "zhangwei", "important", "A", "老客户介绍", ["老客户", "按时还款"], "北京华联超市", "18000"),
    ("李秀英", "11010819820721062", "13801023456", "BJ01", "zhangwei", "normal", "B", "门店来访", ["按时还款"], "朝阳区第二小学", "9500"),
    ("张伟", "11010219900101001", "13701034567", "BJ02", "wangfang", "normal", "C", "网络推广", [], "个体经营", "12000"),
    ("刘洋", "11010819881111003", "13601045678", "BJ02", "wangfang", "normal", "D", "中介推荐", ["需重点关注"], "海淀某科技公司", "15000"),
    ("陈静", "31011519850606002", "13501056789", "SH01", "lina", "important", "A", "合作机构", ["老客户"], "浦东新区医院", "22000"),
    ("赵磊", "31011519790909005", "13401067890", "SH01", "lina", "blacklist", "E", "电话营销", ["已起诉"], "无固定工作", "0"),
    ("曾小贤", "11010519931231003", "13301078901", "BJ01", "zhangwei", "normal", "B", "门店来访", [], "电台主持人", "11000"),
]

COMPANIES = [
    # name, USCC first 17, phone, branch, owner, grade, legal rep, capital, industry
    ("北京华信商贸有限公司", "91110105MA01ABCD1", "01065001234", "BJ01", "zhangwei", "B", "王建国", "5000000", "批发零售"),
    ("上海浦江建材有限公司", "91310115MA1K3XY82", "02158001234", "SH01", "lina", "C", "周强", "10000000", "建材"),
    ("海淀区晨光餐饮店", "92110108MA00QWER3", "13201089012", "BJ02", "wangfang", "B", "孙丽", "100000", "餐饮"),
]


def load() -> list[str]:
    source_channels_ensure()
    tags = {name: Tag.objects.filter(name=name).first() or catalogue.tag_save(name=name, colour=colour)
            for name, colour in TAGS}
    branches = {b.code: b for b in Branch.objects.all()}
    users = {u.username: u for u in User.objects.all()}
    channels = {c.name: c for c in SourceChannel.objects.all()}
    today = clock.today()
    created = 0
    for index, (name, first17, phone, branch, owner, category, grade, channel, tag_names, employer, income) in enumerate(PEOPLE):
        id_number = first17 + check_character(first17)
        if Customer.objects.filter(name=name, kind=CustomerKind.INDIVIDUAL).exists():
            continue
        customer = customer_create(customer=Customer(
            kind=CustomerKind.INDIVIDUAL, name=name, id_number=id_number, phone=phone, branch=branches[branch],
            owner=users.get(owner), category=category, risk_grade=grade, source=channels.get(channel),
            employer=employer, monthly_income=income, address=f"{branches[branch].name}附近",
            marital_status="married" if index % 2 else "unmarried", acquired_on=today - timedelta(days=40 * index + 3),
        ), user=users.get(owner), tags=[tags[t] for t in tag_names])
        contact_save(customer=customer, name=f"{name[0]}女士", relation="配偶", phone="13000000000", is_emergency=True,
                     user=users.get(owner))
        created += 1
    for index, (name, first17, phone, branch, owner, grade, legal, capital, industry) in enumerate(COMPANIES):
        if Customer.objects.filter(name=name).exists():
            continue
        customer_create(customer=Customer(
            kind=CustomerKind.COMPANY, name=name, credit_code=first17 + uscc_check(first17), phone=phone,
            branch=branches[branch], owner=users.get(owner), risk_grade=grade, legal_representative=legal,
            registered_capital=capital, industry=industry, source=channels.get("合作机构"),
            acquired_on=today - timedelta(days=75 * index + 10),
        ), user=users.get(owner))
        created += 1
    return [f"客户 {len(PEOPLE) + len(COMPANIES)} 位（个人 {len(PEOPLE)}、企业 {len(COMPANIES)}；本次新建 {created} 位）"]
