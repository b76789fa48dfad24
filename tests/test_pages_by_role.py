"""Every page as every role: the demo data, each of the seven staff roles, every page they can reach.

For each role a demo user of that role signs in and opens
  * every sidebar entry the sidebar shows them (read from ioudesk.backoffice.navigation, the code
    that builds the sidebar: a new page joins this test by being in the sidebar),
  * every admin list of a registered model they may see, its add page when they may add, and the
    change page of one record of it within their data scope,
  * the custom detail pages: every customer's 360 page and every IOU's page in their scope (the demo
    has an IOU in every state), whose links lead on to the ledger, the PDFs and the action forms.
On every page: no 5xx, and no English on the Chinese page (visible text and title/placeholder/
aria-label/alt, scripts and styles stripped; codes glued to digits such as JD20261022-0001 are
data, and TOKENS lists the few Latin words that belong in Chinese text, each with its reason).
Every action the page offers (the object tools of an admin page, the links of the custom pages'
content, the autocomplete pickers of a form) is followed with GET: it must not answer
403/404/405/409/5xx, send the user to the login page, or end on an error message ("cannot do that
in this state") — a page offers only what the role may do.

The demo data is built once for the module (in a transaction rolled back at its end); each test
runs in a savepoint of it. Runs on SQLite and, in `make test`, on PostgreSQL.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.messages import constants as message_levels
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse

from ioudesk.core import roles
from tests.test_translations import TECHNICAL_TOKENS, VisibleText

DEMO_USER_OF_ROLE = {
    roles.ADMINISTRATOR: "admin",  # made by `ioudesk setup` (administrator_ensure), as in a real install
    roles.ACCOUNT_MANAGER: "zhangwei",
    roles.APPROVER: "liuyang",
    roles.FINANCE: "chenjing",
    roles.COLLECTOR: "zhaolei",
    roles.COLLECTION_MANAGER: "sunli",
    roles.AUDITOR: "zhouqiang",
}
ROLE_IDS = {roles.ADMINISTRATOR: "administrator", roles.ACCOUNT_MANAGER: "account_manager",
            roles.APPROVER: "approver", roles.FINANCE: "finance", roles.COLLECTOR: "collector",
            roles.COLLECTION_MANAGER: "collection_manager", roles.AUDITOR: "auditor"}

# Latin words that may stand in the Chinese pages, each with its reason (the translation test's
# TECHNICAL_TOKENS, plus what the product's own pages write that way).
TOKENS = {
    **TECHNICAL_TOKENS,
    "pdf": "借据/欠条 PDF: the file format is written PDF in Chinese",
    "excel": "导出 Excel: the program's name",
    "xlsx": "the file format's extension, named on the import page",
    "lpr": "四倍LPR: the Loan Prime Rate is called LPR in Chinese law and practice",
    "irr": "IRR (内部收益率): the usual abbreviation on the calculator",
    "api": "接口文档 (API): the usual term",
    "totp": "TOTP 双重验证: the standard's name",
    "otp": "OTP: the standard's name",
    "uscc": "USCC: 统一社会信用代码's usual abbreviation",
    "sha": "SHA-256: the hash algorithm's name",
    "rest": "REST 接口 (接口文档): the usual term",
    "openapi": "OpenAPI 文档 (接口文档): the standard's name",
    "json": "OpenAPI 文档（JSON） (接口文档): the format's name",
    "uuid": "幂等键（如 UUID） (接口文档): the standard's name",
    "swagger": "Swagger UI (接口文档 links the developers' console): the program's name",
    "ui": "Swagger UI: the program's name",
    "mb": "10 MB: a unit",
    "kb": "12.3 KB: a unit",
    "english": "the language switcher names each language in itself (English, 简体中文)",
    "en": "the language switcher's code for English",
    "zh": "the language switcher's code for Chinese (zh-hans)",
    "hans": "the language switcher's code for Chinese (zh-hans)",
    "esc": "the Esc key's label on the keyboard shortcut of the command search",
    "control": "Django's hint 按住 Control 键或 Mac 上的 Command 键来选择多项: key names",
    "command": "Django's hint 按住 Control 键或 Mac 上的 Command 键来选择多项: key names",
    "mac": "Django's hint 按住 Control 键或 Mac 上的 Command 键来选择多项: the computer's name",
    **{name: "file formats and programs named on the upload page (可上传PDF、图片或Office文件, JPEG图片 …)"
       for name in ["office", "word", "powerpoint", "jpeg", "png", "gif", "webp", "heic", "svg"]},
}
# Words of the data that are Latin by nature (login names, product and branch codes): collected
# from the demo database by data_words(), and matched case for case.
DATA_WORDS: set[str] = set()


def data_words() -> set[str]:
    from ioudesk.core.models import Branch, User
    from ioudesk.products.models import Product

    words = set()
    for value in [*User.objects.values_list("username", flat=True), *Product.objects.values_list("code", flat=True),
                  *Branch.objects.values_list("code", flat=True)]:
        words |= set(re.findall(r"[A-Za-z]+", value))  # as written: "admin" is a login, "Admin" is English
    return words

# A Latin word standing alone: glued to a digit, dot, @, slash or underscore it is part of a code,
# a number, a file name, an address or a URL (JD20261022-0001, 91110105MA01ABCD13, a.pdf).
LATIN = re.compile(r"(?<![A-Za-z0-9_.@/\\])[A-Za-z][A-Za-z']*[A-Za-z](?![A-Za-z0-9_@/\\]|\.[A-Za-z0-9])")

BAD_FOLLOW = {403, 404, 405, 409}
SEEN: dict[str, dict[str, set]] = {}
# Links whose answer depends on the record's state (an IOU's action forms, its documents).
STATEFUL = re.compile(r"/actions/|\.pdf$|/pdf/$")
MAIN = 'id="main"'  # Unfold's layout: the sidebar and the user menu come before it
# Swagger UI (for developers, linked from 接口文档 and labelled English-only) draws its chrome with
# its own script and ships no translations; /api/v1/docs, the back office's reference page, is checked.
SWAGGER_UI = "/api/v1/docs/swagger"


# --- the demo, built once ---------------------------------------------------------------------


def _extra_states():
    """States the demo does not have and the pages must handle: a reversed repayment, and an IOU
    pending approval whose maker is the one user who could otherwise approve it (the administrator)."""
    from decimal import Decimal

    from ioudesk.core.context import acting_as, actor_for_user
    from ioudesk.core.models import User
    from ioudesk.customers.models import Customer
    from ioudesk.ious.models import Iou, Status
    from ioudesk.ious.services import iou_create, iou_from_product, iou_submit
    from ioudesk.ious.services.corrections import transaction_reverse
    from ioudesk.ious.services.repayment import iou_repay
    from ioudesk.products.models import Product

    finance = User.objects.get(username="chenjing")
    active = Iou.objects.filter(status=Status.ACTIVE, customer__name="王建国").order_by("pk").first()
    with acting_as(actor_for_user(finance)):
        payment = iou_repay(iou=active, amount=Decimal("100.00"), user=finance, reference="HK20260001", payer="王建国")
        transaction_reverse(record=payment, reason="金额录错", user=finance)

    administrator = User.objects.get(username="admin")
    customer = Customer.objects.get(name="王建国")
    with acting_as(actor_for_user(administrator)):
        iou = iou_from_product(product=Product.objects.get(code="XFD"), customer=customer, principal="20000",
                               term=6, contract_date=active.contract_date)
        iou, _warning = iou_create(iou=iou, user=administrator)
        iou_submit(iou=iou, user=administrator)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from ioudesk.core.demo import load_demo_data
    from ioudesk.core.services import administrator_ensure
    from ioudesk.ledger.services import chart_ensure

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            chart_ensure()
            roles.roles_sync()
            administrator_ensure(password="Admin-pass-2026")
            load_demo_data()
            _extra_states()
            DATA_WORDS.update(data_words())
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- what a page shows and offers ---------------------------------------------------------------


class Links(HTMLParser):
    """The links (href) after the sidebar, and whether each is inside a changelist's result table;
    and the autocomplete pickers of a form."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, bool]] = []
        self.autocompletes: list[dict] = []
        self._depth = 0
        self._results_depth = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "result_list":
            self._results_depth = self._depth
        if tag not in {"br", "img", "input", "meta", "link", "hr"}:
            self._depth += 1
        if tag == "a" and attrs.get("href"):
            self.links.append((attrs["href"], self._results_depth is not None))
        if tag == "select" and "admin-autocomplete" in (attrs.get("class") or "") and attrs.get("data-field-name"):
            self.autocompletes.append(attrs)

    def handle_endtag(self, tag):
        if tag not in {"br", "img", "input", "meta", "link", "hr"}:
            self._depth -= 1
        if tag == "table" and self._results_depth is not None and self._depth <= self._results_depth:
            self._results_depth = None


# Template placeholders and tags ({{ debtor }}, {% if guarantor %}) in the document templates are code.
TEMPLATE_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


class PageText(VisibleText):
    """The visible text, without what a page shows as code: <code>, <pre> and <kbd> hold paths,
    field names, JSON type names and key names (the API reference page), not words to translate."""

    SKIP = VisibleText.SKIP | {"code", "pre", "kbd"}


def visible_text(html: str) -> str:
    parser = PageText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


def english_on(html: str) -> list[str]:
    leaks = []
    for line in visible_text(html).split("\n"):
        line = TEMPLATE_CODE.sub(" ", line)
        words = [w for w in LATIN.findall(line) if w.lower() not in TOKENS and w not in DATA_WORDS]
        if words:
            leaks.append(f"{line[:120]!r} ({', '.join(words)})")
    return leaks


def shape(url: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(url).path)


class Visitor:
    """One role's walk: opens pages, checks what they show, follows what they offer. Problems are
    collected (not raised) so that one run reports all of a role's pages."""

    def __init__(self, client, role):
        self.client = client
        self.role = role
        self.problems: list[tuple[str, str]] = []  # (page, what is wrong)
        # What this role has seen, shared by the role's tests (the pages do not change between them):
        # each page is opened, each link followed and each text checked once per role.
        seen = SEEN.setdefault(role, {"opened": set(), "followed": set(), "shapes": set(), "english": set()})
        self.opened: set[str] = seen["opened"]
        self.followed: set[str] = seen["followed"]
        self.shapes_followed: set[str] = seen["shapes"]
        self.english_checked: set[str] = seen["english"]

    def _get(self, url, **kwargs):
        try:
            return self.client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans", **kwargs)
        except Exception as error:  # the test client re-raises what the view raised: a 500 for the user
            self.problems.append((url, f"500 ({type(error).__name__}: {error})"))
            return None

    def open(self, url: str, *, record: bool = False) -> str | None:
        """Open a page the role can reach and follow what it offers. On a list (``record`` False)
        each kind of link is followed once; on a record's page every link, since what it offers
        depends on the record's state."""
        if url in self.opened:
            return None
        self.opened.add(url)
        self.followed.add(url)
        response = self._get(url, follow=True)  # e.g. an IOU's admin change page leads to the IOU page
        if response is None:
            return None
        if response.status_code != 200 or any(urlsplit(hop).path == reverse("admin:login")
                                               for hop, _status in response.redirect_chain):
            self.problems.append((url, f"{response.status_code} (the role should be able to open it)"))
            return None
        if response.redirect_chain:
            url = response.redirect_chain[-1][0]
        html = self._check_html(url, response)
        if html is not None:
            self._follow_offered(url, html, record=record)
        return html

    def _check_html(self, url, response) -> str | None:
        if not response.get("Content-Type", "").startswith("text/html"):
            return None
        html = response.content.decode()
        key = urlsplit(url).path
        if key not in self.english_checked and key != SWAGGER_UI:
            self.english_checked.add(key)
            for leak in dict.fromkeys(re.sub(r"\d+", "N", leak) for leak in english_on(html)):
                self.problems.append((url, f"English on a Chinese page: {leak}"))
        return html

    def _follow_offered(self, page_url: str, html: str, *, record: bool):
        parser = Links()
        parser.feed(html[html.find(MAIN):] if MAIN in html else html)
        page_path = urlsplit(page_url).path
        for href, in_results in parser.links:
            href = urljoin(page_url, href)
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("#", "javascript:")):
                continue
            if not parts.path or parts.path == page_path or parts.path.startswith(settings.STATIC_URL):
                continue  # the same page with other filters, sorting or page number
            if in_results or not record or not STATEFUL.search(parts.path):
                # Each kind of link once: the rows of a list, the links of a list page, and on a
                # record's page what does not depend on the record's state (its edit page, a
                # "new … for this customer" form). Actions and documents are followed every time.
                kind = f"{shape(href)}?{','.join(sorted(k for k, _v in parse_qsl(parts.query)))}"
                if kind in self.shapes_followed:
                    continue
                self.shapes_followed.add(kind)
            self.follow(href, offered_on=page_url)
        for picker in parser.autocompletes:
            query = urlencode({"term": "", "app_label": picker.get("data-app-label"),
                               "model_name": picker.get("data-model-name"),
                               "field_name": picker.get("data-field-name")})
            self.follow(f"{picker.get('data-ajax--url') or '/admin/autocomplete/'}?{query}", offered_on=page_url,
                        what=f"the picker of {picker.get('data-field-name')!r}")

    def follow(self, url: str, *, offered_on: str, what: str = "the link"):
        if url in self.followed:
            return
        self.followed.add(url)
        where = f"offers {what} {url}"
        response = self._get(url, follow=True)
        if response is None:
            self.problems[-1] = (offered_on, f"{where}: {self.problems[-1][1]}")
            return
        if response.status_code in BAD_FOLLOW or response.status_code >= 500:
            self.problems.append((offered_on, f"{where}: it answers {response.status_code}"))
            return
        chain = [hop for hop, _status in response.redirect_chain]
        if any(urlsplit(hop).path == reverse("admin:login") for hop in chain):
            self.problems.append((offered_on, f"{where}: it sends the user to the login page"))
            return
        errors = [str(m) for m in (response.context or {}).get("messages", []) or []
                  if m.level >= message_levels.ERROR] if response.context else []
        if errors:
            self.problems.append((offered_on, f"{where}: it ends on the error {errors[0]!r}"))
        if response.status_code == 200:
            self._check_html(chain[-1] if chain else url, response)

    def report(self) -> str:
        """The problems, the same text on several pages said once, with the first pages it is on."""
        pages: dict[str, list[str]] = {}
        for url, text in self.problems:
            pages.setdefault(text, []).append(url)
        lines = [f"{text}\n      on {', '.join(urls[:3])}{f' and {len(urls) - 3} more' if len(urls) > 3 else ''}"
                 for text, urls in pages.items()]
        return f"{ROLE_IDS[self.role]} ({self.role}): {len(pages)} problems\n  " + "\n  ".join(lines)


def _request_for(user, path="/admin/"):
    request = RequestFactory().get(path)
    request.user = user
    return request


@pytest.fixture(params=list(DEMO_USER_OF_ROLE), ids=lambda role: ROLE_IDS[role])
def visitor(request, demo, db, client):
    from ioudesk.core.models import User

    role = request.param
    user = User.objects.get(username=DEMO_USER_OF_ROLE[role])
    assert user.groups.filter(name=role).exists()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    visitor = Visitor(client, role)
    visitor.user = user
    return visitor


# --- the pages ----------------------------------------------------------------------------------


def sidebar_links(user) -> list[str]:
    from ioudesk.backoffice.navigation import sidebar

    request = _request_for(user)
    links = []
    for group in sidebar(request):
        for item in group["items"]:
            permission = item.get("permission")
            if permission is None or permission(request):
                links.append(str(item["link"]))
    return links


def admin_pages(user) -> list[str]:
    """Each registered model's list the user may see, its add page, and one record's change page."""
    request = _request_for(user)
    pages = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        if not model_admin.has_view_or_change_permission(request):
            continue
        pages.append(reverse(f"{name}_changelist"))
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"{name}_add"))
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is not None:
            pages.append(reverse(f"{name}_change", args=[obj.pk]))
    return pages


def detail_pages(user) -> list[str]:
    """The custom pages of records: every customer's 360 page and every IOU's page in scope."""
    from ioudesk.core import scope
    from ioudesk.customers.models import Customer
    from ioudesk.ious.models import Iou

    pages = []
    if user.has_perm("customers.view_customer"):
        pages += [reverse("backoffice:customer_overview", args=[pk]) for pk in
                  scope.scope_queryset(user, Customer.objects.order_by("pk")).values_list("pk", flat=True)]
    if user.has_perm("ious.view_iou"):
        pages += [reverse("backoffice:iou_detail", args=[pk]) for pk in
                  scope.scope_queryset(user, Iou.objects.order_by("pk")).values_list("pk", flat=True)]
    return pages


def test_every_role_has_a_demo_user(demo, db):
    assert set(DEMO_USER_OF_ROLE) == set(roles.ROLES)


def test_sidebar_entries(visitor):
    links = sidebar_links(visitor.user)
    assert reverse("admin:index") in links
    for url in links:
        visitor.open(url)
    assert not visitor.problems, visitor.report()


def test_admin_lists_add_and_change_pages(visitor):
    for url in admin_pages(visitor.user):
        visitor.open(url, record=url.endswith("/change/"))
    assert not visitor.problems, visitor.report()


def test_detail_pages(visitor):
    pages = detail_pages(visitor.user)
    for url in pages:
        visitor.open(url, record=True)
    assert not visitor.problems, visitor.report()


# --- the checks themselves ----------------------------------------------------------------------


def test_english_check_sees_english_and_spares_codes():
    html = ('<main><h1 title="Filter">借据 JD20261022-0001</h1><p>91110105MA01ABCD13 · a.pdf · 四倍LPR</p>'
            '<p>By 状态</p><script>var x = "Hidden";</script>'
            '<p>字段 <code>monthly_income</code>：<code>string | null</code></p><pre>{"code": "not_found"}</pre>'
            '<p>按 <kbd>Ctrl</kbd> 键</p></main>')
    leaks = english_on(html)
    assert len(leaks) == 2 and "Filter" in leaks[0] and "By" in leaks[1], leaks


def test_link_parser_tells_result_rows_apart():
    parser = Links()
    parser.feed('<a href="/a/">x</a><table id="result_list"><tr><td><a href="/b/1/">1</a></td></tr></table>'
                '<a href="/c/">y</a>')
    assert parser.links == [("/a/", False), ("/b/1/", True), ("/c/", False)]


def test_every_sidebar_entry_has_its_page(demo, db):
    """The sidebar leaves out an entry whose page does not exist (yet): in this build none is missing
    (the customer files list was, its admin module never imported)."""
    from ioudesk.backoffice import navigation
    from ioudesk.core.models import User

    links = sidebar_links(User.objects.get(username="admin"))
    assert not navigation.MISSING_PAGES, f"sidebar entries without a page: {sorted(navigation.MISSING_PAGES)}"
    assert reverse("admin:customers_customerfile_changelist") in links


# --- what the walk cannot see by following links ------------------------------------------------


def test_maker_is_not_offered_the_approval(demo, db, client):
    """The administrator made and submitted an IOU: his page offers no 审批通过/驳回 (the service
    would refuse it), and the approval form sends him back with the reason."""
    from ioudesk.core.models import User
    from ioudesk.ious.models import Iou, Status

    administrator = User.objects.get(username="admin")
    iou = Iou.objects.get(status=Status.PENDING_APPROVAL, created_by=administrator)
    client.force_login(administrator)
    html = client.get(reverse("backoffice:iou_detail", args=[iou.pk])).content.decode()
    assert reverse("backoffice:iou_action", args=[iou.pk, "approve"]) not in html
    assert reverse("backoffice:iou_action", args=[iou.pk, "reject"]) not in html
    response = client.get(reverse("backoffice:iou_action", args=[iou.pk, "approve"]), follow=True)
    assert "录入人不能审批自己录入的借据" in response.content.decode()
    client.force_login(User.objects.get(username="liuyang"))  # the approver is offered it
    assert reverse("backoffice:iou_action", args=[iou.pk, "approve"]) in client.get(
        reverse("backoffice:iou_detail", args=[iou.pk])).content.decode()


def test_dashboard_links_to_the_filtered_lists_and_leaves_out_logins(demo, db, client):
    from ioudesk.core.models import User

    client.force_login(User.objects.get(username="chenjing"))
    client.force_login(User.objects.get(username="chenjing"))  # two 登录 events
    html = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    changelist = reverse("admin:ious_iou_changelist")
    assert f'{changelist}?status__exact=pending_approval"' in html
    assert f'{changelist}?status__exact=overdue"' in html
    recent = html[html.index("我最近的操作"):]
    assert "登录" not in visible_text(recent).split("暂无记录")[0]
    assert "登记还款" in recent  # what she did: the demo's repayments


def test_collector_records_follow_ups_for_debtors_only(demo, db):
    from django.utils import timezone

    from ioudesk.core.errors import PermissionDenied
    from ioudesk.core.models import User
    from ioudesk.customers import followups, permissions
    from ioudesk.customers.models import Customer

    collector = User.objects.get(username="zhaolei")  # BJ01
    debtor = Customer.objects.get(name="王建国")  # active IOUs in BJ01
    assert permissions.can_add_follow_up(collector, customer=debtor)
    followups.follow_up_record(customer=debtor, owner=collector, user=collector, channel="phone",
                               happened_at=timezone.now(), content="电话提醒本期还款，客户承诺周五前还清")
    no_debt = Customer.objects.filter(branch=debtor.branch).exclude(ious__isnull=False).first()
    if no_debt is not None:
        assert not permissions.can_add_follow_up(collector, customer=no_debt)
        with pytest.raises(PermissionDenied):
            followups.follow_up_record(customer=no_debt, owner=collector, user=collector, channel="phone",
                                       happened_at=timezone.now(), content="问候")
