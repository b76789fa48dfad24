"""Who paid: a payer's name or account mapped to a customer (往来单位). docs/domain.md §26.

A ``PayerAlias`` says that a payer name (normalised: full-width → half-width, no spaces) or a payer
account (its blind index, ``core.crypto.blind_index(value, "receivables.payer_account")``: the account
itself is never stored in the alias) belongs to a customer. Aliases are entered in the back office or
learned: every match (automatic or by hand) of a receipt teaches its payer's name and account. An
alias that already points to another customer is never overwritten (a person decides).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit, scope
from ioudesk.core.crypto import blind_index, normalize_for_index
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.customers.models import Customer
from ioudesk.receivables.models import PayerAlias, PayerAliasKind

ACCOUNT_INDEX_PURPOSE = "receivables.payer_account"


def normalise_name(value: str) -> str:
    """A payer name as the matching engine compares it: full-width → half-width (NFKC, so （） → ()),
    no spaces, upper case Latin letters. 上海 某某（集团）有限公司 == 上海某某(集团)有限公司."""
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(text.split()).upper()


def account_index(value: str) -> str:
    """The payer account's blind index ("" for no account)."""
    value = "".join((value or "").split())
    return blind_index(value, ACCOUNT_INDEX_PURPOSE) if normalize_for_index(value) else ""


def payer_customers(receipts: list[dict]) -> dict[int, int]:
    """receipt id → customer id, for the receipts whose payer is known: the receipt's own customer,
    an alias by account (blind index), an alias by name, or the one customer of exactly that name."""
    out = {r["id"]: r["customer_id"] for r in receipts if r["customer_id"]}
    rest = [r for r in receipts if not r["customer_id"]]
    if not rest:
        return out
    indexes = {r["payer_account_index"] for r in rest if r["payer_account_index"]}
    names = {normalise_name(r["payer_name"]) for r in rest if r["payer_name"].strip()}
    by_account, by_name = {}, {}
    if indexes:
        by_account = dict(PayerAlias.objects.filter(kind=PayerAliasKind.ACCOUNT, value__in=indexes)
                          .values_list("value", "customer_id"))
    if names:
        by_name = dict(PayerAlias.objects.filter(kind=PayerAliasKind.NAME, value__in=names)
                       .values_list("value", "customer_id"))
    unknown = {normalise_name(r["payer_name"]): r["payer_name"] for r in rest
               if r["payer_name"].strip() and normalise_name(r["payer_name"]) not in by_name}
    by_customer_name = _customers_named(unknown)
    for r in rest:
        name = normalise_name(r["payer_name"]) if r["payer_name"].strip() else ""
        customer = (by_account.get(r["payer_account_index"]) if r["payer_account_index"] else None) \
            or by_name.get(name) or by_customer_name.get(name)
        if customer:
            out[r["id"]] = customer
    return out


def _customers_named(names: dict[str, str]) -> dict[str, int]:
    """normalised name → the one customer whose name normalises to it (none when two share it)."""
    if not names:
        return {}
    variants = set()
    for normalised, raw in names.items():
        variants.update({raw.strip(), normalised, normalised.replace("(", "（").replace(")", "）")})
    found: dict[str, set[int]] = defaultdict(set)
    variants = list(variants)
    for start in range(0, len(variants), 500):
        for pk, name in Customer.objects.filter(name__in=variants[start:start + 500]).values_list("id", "name"):
            found[normalise_name(name)].add(pk)
    return {name: next(iter(pks)) for name, pks in found.items() if len(pks) == 1 and name in names}


def learn_aliases(pairs) -> None:
    """Every match teaches the payer's name and account: a PayerAlias to the customer (one that
    points to another customer already is left alone); the ones already known count a use."""
    wanted: dict[tuple[str, str], tuple[int, str]] = {}
    for customer_id, r in pairs:
        if not customer_id:
            continue
        name = normalise_name(r.get("payer_name", ""))
        if name:
            wanted.setdefault((PayerAliasKind.NAME, name[:100]), (customer_id, r["payer_name"].strip()[:100]))
        if r.get("payer_account_index"):
            wanted.setdefault((PayerAliasKind.ACCOUNT, r["payer_account_index"]),
                              (customer_id, _g("账号尾号 %(last4)s") % {"last4": r.get("payer_account_last4", "")
                                                                       or "****"}))
    if not wanted:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    existing = {}
    for kind in (PayerAliasKind.NAME, PayerAliasKind.ACCOUNT):
        values = [value for (k, value) in wanted if k == kind]
        for start in range(0, len(values), 500):
            for pk, value, customer_id in PayerAlias.objects.filter(kind=kind, value__in=values[start:start + 500]) \
                    .values_list("id", "value", "customer_id"):
                existing[(kind, value)] = (pk, customer_id)
    same = [pk for key, (pk, customer_id) in existing.items() if wanted[key][0] == customer_id]
    for start in range(0, len(same), 500):
        PayerAlias.objects.filter(pk__in=same[start:start + 500]).update(uses=F("uses") + 1)
    new = [(customer_id, kind, value, label, True, 1, now)
           for (kind, value), (customer_id, label) in wanted.items() if (kind, value) not in existing]
    if not new:
        return
    quote = connection.ops.quote_name
    columns = ("customer_id", "kind", "value", "label", "learned", "uses", "created_at")
    with connection.cursor() as cursor:
        for start in range(0, len(new), 400):
            part = new[start:start + 400]
            cursor.execute(f"INSERT INTO {quote(PayerAlias._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
                           f"VALUES {', '.join(['(%s, %s, %s, %s, %s, %s, %s)'] * len(part))} ON CONFLICT DO NOTHING",
                           [v for row in part for v in row])


@transaction.atomic
def payer_alias_save(*, customer, kind: str, text: str, user) -> PayerAlias:
    """Enter an alias by hand: a payer name (stored normalised) or an account (stored as its blind
    index, shown by its last four digits). One alias belongs to one customer. Audited."""
    if not user.has_perm("receivables.add_payeralias"):
        raise PermissionDenied(_("您没有维护付款人对应的权限。"))
    if not scope.can_see_branch(user, customer.branch_id):
        raise PermissionDenied(_("您看不到该往来单位。"))
    text = (text or "").strip()
    if kind == PayerAliasKind.NAME:
        value, label = normalise_name(text)[:100], text[:100]
    elif kind == PayerAliasKind.ACCOUNT:
        digits = "".join(text.split())
        if not digits.isalnum() or len(digits) < 6:
            raise ValidationFailed(_("请填写完整的对方账号（至少 6 位数字或字母）。"), extra={"field": "text"})
        value, label = account_index(digits), _g("账号尾号 %(last4)s") % {"last4": digits[-4:]}
    else:
        raise ValidationFailed(_("请选择对方户名或对方账号。"), extra={"field": "kind"})
    if not value:
        raise ValidationFailed(_("请填写对方户名或账号。"), extra={"field": "text"})
    existing = PayerAlias.objects.filter(kind=kind, value=value).select_related("customer").first()
    if existing is not None:
        raise ValidationFailed(_("“%(label)s”已对应往来单位“%(name)s”；一个户名或账号只能对应一个单位，请先删除原对应。") % {
            "label": existing.label, "name": existing.customer.name}, extra={"field": "text"})
    alias = PayerAlias.objects.create(customer=customer, kind=kind, value=value, label=label, learned=False)
    audit.record(AuditAction.CREATE, obj=alias, verb=_g("新增付款人对应"),
                 changes={"customer": [None, customer.name], "label": [None, label]}, branch_id=customer.branch_id)
    return alias


@transaction.atomic
def payer_alias_delete(*, alias: PayerAlias, user) -> None:
    """Remove a wrong alias (learned or entered): the next match teaches it again, to the right customer."""
    if not user.has_perm("receivables.delete_payeralias") or not scope.can_see_branch(user, alias.customer.branch_id):
        raise PermissionDenied(_("您没有删除付款人对应的权限。"))
    audit.record(AuditAction.DELETE, obj=alias, verb=_g("删除付款人对应"),
                 changes={"customer": [alias.customer.name, None], "label": [alias.label, None]},
                 branch_id=alias.customer.branch_id)
    alias.delete()
