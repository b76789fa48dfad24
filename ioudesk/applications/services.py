"""Writes for loan applications: create (desk and public page), materials (upload, review),
screening, submission for approval, the outcome (approved → IOU, counter-offer, rejected,
returned), the applicant's acceptance of a counter-offer, withdrawal, and the notices.

One validation (``application_validate``) serves the back-office form, the public page and the
API: age from the ID number against the product's range, amount and term within the product's,
phone, consent; every problem at once, each naming its field. docs/domain.md §25.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import uuid
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.applications import ratelimit
from ioudesk.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    ApplicationProduct,
    Channel,
    MaterialRequirement,
    MaterialStatus,
    Status,
)
from ioudesk.calc import idcheck
from ioudesk.calc.errors import InvalidIdentifier
from ioudesk.calc.money import quantize
from ioudesk.core import audit, clock, numbering, scope
from ioudesk.core.calc_messages import calc_error_message
from ioudesk.core.crypto import blind_index
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.storage import private_storage
from ioudesk.customers import sniff
from ioudesk.customers.files import clean_original_name, limit_text, size_text
from ioudesk.customers.services import ID_PURPOSE, PHONE_PURPOSE, phone_normalised
from ioudesk.products.models import Product

PREFIX = "SQ"
CONSENT_VERSION = "2026-12"
ADULT_AGE = 18
MB = 1024 * 1024

# The public page's limits (docs/domain.md §25): per IP address and per phone number.
IP_LIMIT, IP_WINDOW = 5, dt.timedelta(minutes=1)
IP_HOURLY_LIMIT, IP_HOURLY_WINDOW = 30, dt.timedelta(hours=1)
PHONE_LIMIT, PHONE_WINDOW = 3, dt.timedelta(days=1)
TRACK_LIMIT, TRACK_WINDOW = 10, dt.timedelta(minutes=1)
UPLOAD_LIMIT, UPLOAD_WINDOW = 30, dt.timedelta(hours=1)

MATERIAL_UPLOAD_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED)


class _Problems(dict):
    def add(self, field: str, message) -> None:
        self.setdefault(field, str(message))

    def raise_any(self) -> None:
        if self:
            field = next(iter(self))
            raise ValidationFailed("；".join(self.values()), extra={
                "field": field, "details": [{"field": f, "message": m} for f, m in self.items()]})


def _field_error(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, extra={"field": field, "details": [{"field": field, "message": str(message)}]})


# --- product settings ----------------------------------------------------------------------------

def product_settings(product: Product) -> ApplicationProduct:
    """The product's application settings (an unsaved default when it has none: desk only)."""
    found = ApplicationProduct.objects.filter(product=product).first()
    return found or ApplicationProduct(product=product, online=False)


def _age_limits(product: Product | None) -> tuple[int, int | None]:
    """The applicant's age range: the product's screening age rule (ioudesk.screening), never under 18."""
    from ioudesk.screening.services import age_limits

    low, high = age_limits(product.pk if product is not None else None)
    return max(low or ADULT_AGE, ADULT_AGE), high


def online_products():
    return Product.objects.filter(is_active=True, application_settings__online=True).order_by("code")


def requirements_for(product: Product) -> list[MaterialRequirement]:
    """The product's checklist: its own items and those for all products (its own win by code)."""
    rows = MaterialRequirement.objects.filter(is_active=True).filter(
        models_q_product(product)).order_by("order", "pk")
    chosen: dict[str, MaterialRequirement] = {}
    for row in rows:
        if row.code not in chosen or row.product_id is not None:
            chosen[row.code] = row
    return sorted(chosen.values(), key=lambda r: (r.order, r.pk))


def models_q_product(product):
    from django.db.models import Q

    return Q(product__isnull=True) | Q(product=product)


# --- validation ----------------------------------------------------------------------------------

def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years from ``birth`` to ``day``.

    >>> age_on(dt.date(2008, 12, 2), dt.date(2026, 12, 1)), age_on(dt.date(2008, 12, 1), dt.date(2026, 12, 1))
    (17, 18)
    """
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _money(value, field: str, label, problems: _Problems, *, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            problems.add(field, _("请填写%(field)s。") % {"field": label})
        return None
    try:
        amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except InvalidOperation:
        problems.add(field, _("%(field)s格式不正确，请输入如 12345.67 的金额。") % {"field": label})
        return None
    if not amount.is_finite() or amount < 0 or amount != quantize(amount) or amount >= 10**12:
        problems.add(field, _("%(field)s格式不正确，请输入如 12345.67 的金额（最多两位小数）。") % {"field": label})
        return None
    return amount


def _plain(value) -> str:
    """Text as typed, without control characters (a NUL cannot be stored in PostgreSQL)."""
    return "".join(ch for ch in str(value or "") if ch >= " " or ch in "\t\n")


def application_validate(*, product: Product | None, amount, term, purpose: str, applicant_name: str,
                         id_number: str, phone: str, email: str = "", monthly_income=None, employer: str = "",
                         monthly_debt=None, consent: bool, channel: str = Channel.DESK) -> dict:
    """Check what an applicant gave; return the cleaned values or raise ValidationFailed naming every
    field that is wrong (``extra["details"]``)."""
    problems = _Problems()
    today = clock.today()
    clean: dict = {}
    if product is None:
        problems.add("product", _("请选择贷款产品。"))
    elif not product.is_active:
        problems.add("product", _("产品“%(name)s”已停售，不能申请。") % {"name": product.name})
    elif channel == Channel.PORTAL and not product_settings(product).online:
        problems.add("product", _("产品“%(name)s”不接受线上申请，请到网点办理。") % {"name": product.name})
    clean["amount"] = amount = _money(amount, "amount", _g("申请金额"), problems, required=True)
    try:
        clean["term"] = term = int(str(term).strip()) if term not in (None, "") else None
    except ValueError:
        clean["term"] = term = None
        problems.add("term", _("期数应为整数。"))
    if term is None:
        problems.add("term", _("请填写期数。"))
    if product is not None and amount is not None and not product.min_amount <= amount <= product.max_amount:
        problems.add("amount", _("申请金额 ¥%(amount)s 超出产品“%(name)s”的范围（¥%(low)s – ¥%(high)s）。") % {
            "amount": f"{amount:,.2f}", "name": product.name, "low": f"{product.min_amount:,.2f}",
            "high": f"{product.max_amount:,.2f}"})
    if product is not None and term is not None and not product.min_term <= term <= product.max_term:
        problems.add("term", _("期数 %(term)d 超出产品“%(name)s”的范围（%(low)d – %(high)d 期）。") % {
            "term": term, "name": product.name, "low": product.min_term, "high": product.max_term})
    purpose, applicant_name, employer, email = (_plain(v) for v in (purpose, applicant_name, employer, email))
    clean["purpose"] = " ".join((purpose or "").split())[:200]
    if not clean["purpose"]:
        problems.add("purpose", _("请填写借款用途。"))
    clean["applicant_name"] = " ".join((applicant_name or "").split())
    if not clean["applicant_name"]:
        problems.add("applicant_name", _("请填写申请人姓名。"))
    elif len(clean["applicant_name"]) > 50:
        problems.add("applicant_name", _("姓名不能超过 50 个字。"))
    clean["id_number"] = ""
    id_number = (id_number or "").strip()
    if not id_number:
        problems.add("id_number", _("请填写身份证号。"))
    elif len(id_number) > 30:
        problems.add("id_number", _("身份证号应为 18 位。"))
    else:
        try:
            card = idcheck.validate(id_number, today=today)
        except InvalidIdentifier as error:
            message = calc_error_message(error)
            problems.add("id_number", message if _g("身份证") in message else _g("身份证号：") + message)
        else:
            clean["id_number"], clean["birth_date"] = card.number, card.birth_date
            age = age_on(card.birth_date, today)
            low, high = _age_limits(product)
            if age < low:
                problems.add("id_number", _("按身份证号，申请人今天 %(age)d 岁，未满 %(low)d 周岁，不能申请。") % {
                    "age": age, "low": low})
            elif high is not None and age > high:
                problems.add("id_number", _("按身份证号，申请人今天 %(age)d 岁，超过产品“%(name)s”的年龄上限 %(high)d 岁。")
                             % {"age": age, "name": product.name if product else "", "high": high})
    digits = phone_normalised(phone or "")
    if not digits:
        problems.add("phone", _("请填写手机号。"))
    elif not (len(digits) == 11 and digits.startswith("1")):
        problems.add("phone", _("手机号应为 1 开头的 11 位数字。"))
    clean["phone"] = digits
    clean["email"] = (email or "").strip()
    if clean["email"] and ("@" not in clean["email"] or len(clean["email"]) > 254 or " " in clean["email"]):
        problems.add("email", _("电子邮箱格式不正确。"))
    clean["monthly_income"] = _money(monthly_income, "monthly_income", _g("月收入"), problems, required=False)
    clean["monthly_debt"] = _money(monthly_debt, "monthly_debt", _g("现有每月还款"), problems, required=False)
    clean["employer"] = " ".join((employer or "").split())[:100]
    if not consent:
        problems.add("consent", _("请阅读并同意《个人信息授权及隐私条款》后再提交。"))
    problems.raise_any()
    return clean


# --- events and notices ----------------------------------------------------------------------------

def _event(application: Application, verb, *, note="", public=False, user=None) -> ApplicationEvent:
    return ApplicationEvent.objects.create(application=application, verb=str(verb)[:60], note=str(note or ""),
                                           public=public, user=user, status=application.status)


def _notify_applicant(application: Application, event: ApplicationEvent, text: str) -> None:
    """The result to the applicant: the event on the tracking page (already written), an SMS to the
    phone they gave (through the customer when matched) and an e-mail when they gave one."""
    from ioudesk.applications.categories import CATEGORY
    from ioudesk.notify.services import message_queue

    body = _g("【%(org)s】%(name)s，您的贷款申请 %(number)s：%(text)s") % {
        "org": _organisation_short(), "name": application.applicant_name, "number": application.number,
        "text": text}
    for channel in ("sms", "email"):
        to = application.phone if channel == "sms" else application.email
        if not to:
            continue
        message_queue(channel=channel, body=body, subject=_g("贷款申请 %(number)s 的进度") % {"number": application.number},
                      customer=application.customer, to=to, category=CATEGORY,
                      delivery_key=f"application:{application.pk}:event:{event.pk}:{channel}", related=application)


def _notify_staff(application: Application, event: ApplicationEvent, text: str) -> None:
    from ioudesk.notify.categories import STAFF_NOTICE
    from ioudesk.notify.services import message_queue

    # an online application nobody has taken yet (no 客户经理) goes to whoever may handle it in its branch
    recipients = [application.account_manager] if application.account_manager_id else _unassigned_handlers(application)
    for recipient in recipients:
        message_queue(channel="inapp", user=recipient, category=STAFF_NOTICE,
                      subject=_g("贷款申请 %(number)s：%(text)s") % {"number": application.number, "text": event.verb},
                      body=_g("%(name)s 的贷款申请 %(number)s：%(verb)s。已通知申请人：%(text)s") % {
                          "name": application.applicant_name, "number": application.number, "verb": event.verb,
                          "text": text},
                      delivery_key=f"application:{application.pk}:event:{event.pk}:staff:{recipient.pk}",
                      related=application)


def _unassigned_handlers(application: Application) -> list:
    """Active staff who may handle the application (applications.change_application) and see its branch."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    from ioudesk.core.models import User

    permission = Permission.objects.filter(content_type__app_label="applications",
                                           codename="change_application").first()
    users = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(groups__permissions=permission) | Q(user_permissions=permission)).distinct()
    return [u for u in users.order_by("pk") if scope.can_see_branch(u, application.branch_id)]


def _organisation_short() -> str:
    from ioudesk.core.services import organisation_current

    organisation = organisation_current()
    return organisation.short_name or organisation.name


def _tell(application: Application, verb, text: str, *, user=None, staff: bool = True) -> ApplicationEvent:
    event = _event(application, verb, note=text, public=True, user=user)
    _notify_applicant(application, event, text)
    if staff:
        _notify_staff(application, event, text)
    return event


# --- create ----------------------------------------------------------------------------------------

def _portal_branch():
    from ioudesk.core.models import Branch
    from ioudesk.core.services import organisation_current

    organisation = organisation_current()
    return Branch.objects.filter(organisation=organisation, parent__isnull=True).order_by("pk").first()


def _facts(application: Application):
    from ioudesk.screening.facts import ApplicantFacts

    return ApplicantFacts(
        product_id=application.product_id, amount=application.amount, term=application.term,
        id_number=application.id_number, name=application.applicant_name, applied_on=clock.today(),
        phone_index=application.phone_index, id_number_index=application.id_number_index,
        monthly_income=application.monthly_income, monthly_debt=application.monthly_debt,
        employer=application.employer, customer_id=application.customer_id, application_id=application.pk)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (Decimal, dt.date)):
        return str(value)
    return value


def application_screen(*, application: Application, user=None) -> Application:
    """Run the screening rules and the score card (ioudesk.screening) and keep the result with the
    application; a knock-out rule rejects it with the reasons (the applicant is told)."""
    from ioudesk.screening import services as screening

    result = screening.screen(_facts(application))
    application.screening_result = _jsonable(result.as_json())
    application.score, application.score_band = result.score, result.band or ""
    application.scorecard_version = result.scorecard_version
    application.screened_at = timezone.now()
    try:
        recommendation = screening.recommend(
            product=application.product, score=result.score, band=result.band,
            monthly_income=application.monthly_income, monthly_debt=application.monthly_debt,
            amount=application.amount, term=application.term)
    except Exception:  # noqa: BLE001 - a recommendation that cannot be drawn is not a reason to refuse
        recommendation = None
    if recommendation is not None:
        data = recommendation.as_json() if hasattr(recommendation, "as_json") else _dataclass_json(recommendation)
        application.recommendation = _jsonable(data)
    fields = ["screening_result", "score", "score_band", "scorecard_version", "screened_at", "recommendation",
              "updated_at"]
    if result.knocked_out:
        reasons = "；".join(result.reasons)
        application.status, application.decision_reason = Status.REJECTED, reasons
        application.decided_at = timezone.now()
        fields += ["status", "decision_reason", "decided_at"]
        application.save(update_fields=fields)
        audit.record(AuditAction.ACTION, obj=application, verb=_g("初筛未通过"), reason=reasons)
        _tell(application, _g("初筛未通过"), _g("很抱歉，申请未通过初筛：%(reasons)s") % {"reasons": reasons},
              user=user)
    else:
        application.save(update_fields=fields)
        _event(application, _g("初筛通过"), note=_g("评分 %(score)s（%(band)s）") % {
            "score": result.score if result.score is not None else "—", "band": result.band or "—"}, user=user)
    return application


def _dataclass_json(value):
    import dataclasses

    if dataclasses.is_dataclass(value):
        return {f.name: _dataclass_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_dataclass_json(v) for v in value]
    return value


@transaction.atomic
def application_create(*, product: Product | None, amount, term, purpose: str, applicant_name: str, id_number: str,
                       phone: str, email: str = "", monthly_income=None, employer: str = "", monthly_debt=None,
                       consent: bool, channel: str = Channel.DESK, user=None, branch=None, account_manager=None,
                       client_ip: str | None = None) -> Application:
    """A new application, screened at once. At the desk ``user`` is the account manager (the
    application is in their branch unless ``branch`` is given); from the public page there is no
    user and the application goes to the head office until an account manager takes it."""
    if channel == Channel.DESK:
        if user is None or not user.has_perm("applications.add_application"):
            raise PermissionDenied(_("您没有录入贷款申请的权限。"))
        branch = branch or user.branch
        if branch is None or not scope.can_see_branch(user, branch.pk):
            raise PermissionDenied(_("只能为本网点（及下级网点）录入申请。"))
        account_manager = account_manager or user
    else:
        if branch is not None and not branch.is_active:
            raise _field_error("branch", _("该网点已停用，请选择其他网点。"))
        branch = branch or _portal_branch()
    clean = application_validate(product=product, amount=amount, term=term, purpose=purpose,
                                 applicant_name=applicant_name, id_number=id_number, phone=phone, email=email,
                                 monthly_income=monthly_income, employer=employer, monthly_debt=monthly_debt,
                                 consent=consent, channel=channel)
    from ioudesk.customers.services import find_duplicates

    matches = [d.customer for d in find_duplicates(id_number=clean["id_number"]) if d.field == "id_number"]
    application = Application(
        channel=channel, status=Status.SUBMITTED, product=product, branch=branch,
        account_manager=account_manager, created_by=user, client_ip=client_ip,
        consent_at=timezone.now(), consent_version=CONSENT_VERSION,
        tracking_token=secrets.token_urlsafe(24), submitted_at=timezone.now(),
        customer=matches[0] if matches else None, **clean)
    application.id_number_index = blind_index(application.id_number, ID_PURPOSE)
    application.id_last4 = application.id_number[-4:]
    application.phone_index = blind_index(application.phone, PHONE_PURPOSE)
    application.phone_last4 = application.phone[-4:]
    application.number = numbering.next_number(organisation=branch.organisation, prefix=PREFIX)
    application.save()
    audit.record(AuditAction.CREATE, obj=application, verb=_g("登记贷款申请"), branch_id=branch.pk, changes={
        "number": [None, application.number], "product": [None, str(product)],
        "amount": [None, str(application.amount)], "term": [None, application.term],
        "channel": [None, channel]})
    _event(application, _g("提交申请"), note=_g("%(product)s，¥%(amount)s，%(term)d 期") % {
        "product": product.name, "amount": f"{application.amount:,.2f}", "term": application.term},
        public=True, user=user)
    application_screen(application=application, user=user)
    if application.status != Status.REJECTED:
        missing = [r.name for r in requirements_for(product) if r.required]
        text = _g("已收到您的申请，我们将尽快审核。")
        if missing:
            text += _g("请上传：%(items)s。") % {"items": "、".join(missing)}
        _tell(application, _g("已受理"), text, user=user, staff=channel == Channel.PORTAL)
    return application


def portal_apply(*, client_ip: str, honeypot: str = "", **values) -> Application:
    """The public page's door: the honeypot and the rate limits (per IP, per phone) first, each
    counted whatever happens next, then ``application_create`` (channel portal)."""
    ip = client_ip or "unknown"
    ratelimit.hit(f"apply:ip:{ip}", limit=IP_LIMIT, window=IP_WINDOW, message=_(
        "提交过于频繁：同一网络每分钟最多提交 %(n)d 次申请，请 1 分钟后再试。") % {"n": IP_LIMIT})
    ratelimit.hit(f"apply:ip-hour:{ip}", limit=IP_HOURLY_LIMIT, window=IP_HOURLY_WINDOW, message=_(
        "提交过于频繁：同一网络每小时最多提交 %(n)d 次申请，请稍后再试。") % {"n": IP_HOURLY_LIMIT})
    if (honeypot or "").strip():
        raise ValidationFailed(_("提交未被受理：请不要填写隐藏的“网址”一栏，刷新页面后重新填写。"), code="honeypot")
    digits = phone_normalised(values.get("phone") or "")
    if digits:
        index = blind_index(digits, PHONE_PURPOSE)
        since = timezone.now() - PHONE_WINDOW
        if Application.objects.filter(phone_index=index, created_at__gt=since).count() >= PHONE_LIMIT:
            raise ratelimit.RateLimited(_("该手机号 24 小时内已提交 %(n)d 笔申请，请勿重复申请；可在“查询进度”中查看已提交的申请。")
                                        % {"n": PHONE_LIMIT}, extra={"field": "phone"})
    return application_create(channel=Channel.PORTAL, client_ip=client_ip or None, **values)


# --- tracking ---------------------------------------------------------------------------------------

def tracking_lookup(*, number: str, phone_last4: str, client_ip: str) -> Application:
    """The application behind a number and the last four digits of its phone (the tracking form);
    a wrong pair is refused without saying which half was wrong. Rate-limited per IP."""
    ratelimit.hit(f"track:ip:{client_ip or 'unknown'}", limit=TRACK_LIMIT, window=TRACK_WINDOW, message=_(
        "查询过于频繁：每分钟最多查询 %(n)d 次，请稍后再试。") % {"n": TRACK_LIMIT})
    number = (number or "").strip().upper()
    last4 = "".join(ch for ch in (phone_last4 or "") if ch.isdigit())
    found = Application.objects.filter(number=number, phone_last4=last4).first() if number and len(last4) == 4 else None
    if found is None:
        raise ValidationFailed(_("没有找到该申请：请核对申请编号和手机号后四位。"), code="not_found",
                               extra={"field": "number"})
    return found


def application_by_token(token: str) -> Application | None:
    if not token or len(token) > 64:
        return None
    return Application.objects.select_related("product", "iou").filter(tracking_token=token).first()


# --- materials --------------------------------------------------------------------------------------

def _check_upload(requirement: MaterialRequirement, upload) -> tuple[sniff.Detected, str, str, int]:
    if upload is None:
        raise _field_error("file", _("请选择要上传的文件。"))
    limit = requirement.max_size_mb * MB
    if upload.size > limit:
        raise ValidationFailed(_("“%(item)s”的文件不能超过 %(limit)s（本文件 %(size)s），请压缩后重新上传。") % {
            "item": requirement.name, "limit": limit_text(limit), "size": size_text(upload.size)},
            code="file_too_large", extra={"field": "file"})
    if not upload.size:
        raise ValidationFailed(_("文件是空的（0 字节），请重新选择。"), code="file_empty", extra={"field": "file"})
    allowed = [sniff.KINDS.get(key) for key in requirement.kind_keys() if sniff.KINDS.get(key) is not None]
    detected = sniff.sniff(upload)
    names = "、".join(str(k.label) for k in allowed)
    if detected not in allowed:
        raise ValidationFailed(_("“%(item)s”只能上传%(allowed)s，这个文件是%(detected)s。") % {
            "item": requirement.name, "allowed": names, "detected": detected.label},
            code="file_type_not_allowed", extra={"field": "file"})
    original = clean_original_name(upload.name) or (_g("材料") + detected.extension)
    extension = os.path.splitext(original)[1].lower()
    if extension and extension not in detected.extensions:
        raise ValidationFailed(_("文件扩展名“%(extension)s”与内容不符：内容是%(detected)s。") % {
            "extension": extension, "detected": detected.label}, code="file_extension_mismatch",
            extra={"field": "file"})
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            raise ValidationFailed(_("“%(item)s”的文件不能超过 %(limit)s，请压缩后重新上传。") % {
                "item": requirement.name, "limit": limit_text(limit)}, code="file_too_large", extra={"field": "file"})
        digest.update(chunk)
    upload.seek(0)
    if not extension:
        original += detected.extension
    return detected, original, digest.hexdigest(), size


def material_upload(*, application: Application, requirement: MaterialRequirement, upload, user=None,
                    client_ip: str | None = None) -> ApplicationMaterial:
    """One file against one checklist item, by the applicant (no user: from the tracking page) or a
    member of staff. Checked by content, type and size; a second file for the same item replaces the
    earlier one (kept, marked superseded)."""
    if user is not None:
        if not user.has_perm("applications.add_applicationmaterial") or not scope.can_see_branch(
                user, application.branch_id):
            raise PermissionDenied(_("您没有为该申请上传材料的权限。"))
    else:
        ratelimit.hit(f"upload:ip:{client_ip or 'unknown'}", limit=UPLOAD_LIMIT, window=UPLOAD_WINDOW, message=_(
            "上传过于频繁：每小时最多上传 %(n)d 个文件，请稍后再试。") % {"n": UPLOAD_LIMIT})
    if application.status not in MATERIAL_UPLOAD_STATUSES:
        raise InvalidState(_("申请%(status)s，不能再上传材料。") % {"status": application.get_status_display()})
    if requirement.pk not in {r.pk for r in requirements_for(application.product)}:
        raise _field_error("requirement", _("该材料项不属于这笔申请的产品。"))
    detected, original, sha256, size = _check_upload(requirement, upload)
    storage = private_storage()
    stored = storage.save(f"applications/{application.pk}/{uuid.uuid4().hex}{detected.extension}", upload)
    try:
        with transaction.atomic():
            ApplicationMaterial.objects.filter(application=application, requirement=requirement,
                                               superseded=False).update(superseded=True)
            row = ApplicationMaterial(application=application, requirement=requirement, original_name=original,
                                      content_type=detected.content_type, kind=detected.key, size=size,
                                      sha256=sha256, uploaded_by=user)
            row.file.name = stored
            row.save()
            audit.record(AuditAction.CREATE, obj=row, verb=_g("上传申请材料"), branch_id=application.branch_id,
                         changes={"requirement": [None, requirement.name], "original_name": [None, original],
                                  "size": [None, size], "sha256": [None, sha256]})
            _event(application, _g("上传材料"), note=f"{requirement.name}：{original}", public=True, user=user)
    except BaseException:
        storage.delete(stored)
        raise
    return row


@transaction.atomic
def material_review(*, material: ApplicationMaterial, user, accept: bool, reason: str = "") -> ApplicationMaterial:
    """Accept a material or return it with the reason (the applicant is told and uploads again)."""
    material = ApplicationMaterial.objects.select_for_update(of=("self",)).select_related("application", "requirement").get(
        pk=material.pk)
    application = material.application
    if not user.has_perm("applications.review_applicationmaterial") or not scope.can_see_branch(
            user, application.branch_id):
        raise PermissionDenied(_("您没有审核申请材料的权限。"))
    if material.superseded:
        raise InvalidState(_("这份材料已被重新上传的文件替代，请审核最新的一份。"))
    if not application.is_open or application.status == Status.IN_REVIEW:
        raise InvalidState(_("申请%(status)s，不能再审核材料。") % {"status": application.get_status_display()})
    reason = " ".join((reason or "").split())[:200]
    if not accept and not reason:
        raise _field_error("reason", _("退回材料时请填写原因，告诉申请人需要补充什么。"))
    before = material.status
    material.status = MaterialStatus.ACCEPTED if accept else MaterialStatus.RETURNED
    material.reason = "" if accept else reason
    material.reviewed_by, material.reviewed_at = user, timezone.now()
    material.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
    audit.record(AuditAction.ACTION, obj=material, verb=_g("材料通过") if accept else _g("退回材料"),
                 branch_id=application.branch_id, changes={"status": [before, material.status]}, reason=reason)
    if application.account_manager_id is None:
        application.account_manager = user
        application.save(update_fields=["account_manager", "updated_at"])
    if accept:
        _event(application, _g("材料通过"), note=material.requirement.name, public=True, user=user)
    else:
        _tell(application, _g("材料退回"), _g("“%(item)s”需要重新上传：%(reason)s") % {
            "item": material.requirement.name, "reason": reason}, user=user, staff=False)
    return material


def checklist(application: Application) -> list[dict]:
    """Each checklist item with its latest file and what is still needed."""
    latest: dict[int, ApplicationMaterial] = {}
    history: dict[int, list[ApplicationMaterial]] = {}
    for row in application.materials.select_related("requirement", "reviewed_by", "uploaded_by").order_by(
            "-uploaded_at", "-pk"):
        history.setdefault(row.requirement_id, []).append(row)
        latest.setdefault(row.requirement_id, row)
    items = []
    for requirement in requirements_for(application.product):
        row = latest.get(requirement.pk)
        if row is None:
            state, needed = "missing", requirement.required
        else:
            state, needed = row.status, row.status == MaterialStatus.RETURNED
        items.append({"requirement": requirement, "material": row, "state": state, "needed": needed,
                      "history": history.get(requirement.pk, [])[1:],
                      "kinds": "、".join(str(sniff.KINDS.get(k).label) for k in requirement.kind_keys() if sniff.KINDS.get(k)),
                      "accept": ",".join(e for k in requirement.kind_keys() if sniff.KINDS.get(k)
                                         for e in sniff.KINDS.get(k).extensions)})
    return items


def missing_materials(application: Application) -> list[str]:
    """Names of the required items without an accepted file."""
    return [item["requirement"].name for item in checklist(application)
            if item["requirement"].required and item["state"] != MaterialStatus.ACCEPTED]


# --- approval -------------------------------------------------------------------------------------

def approval_payload(application: Application, *, user) -> dict:
    return {"application": application.pk, "amount": str(application.amount), "term": application.term,
            "rate_text": application.product.rate_text, "product": application.product_id,
            "notify_user_ids": [u for u in {application.account_manager_id, user.pk} if u]}


@transaction.atomic
def application_submit(*, application: Application, user, comment: str = ""):
    """提交审批: the materials complete and accepted, the application screened again (a knock-out
    rejects it), then the ``application`` request kind through ``approvals.services.submit_or_run``
    (amount, product, branch and score for the flow's conditions). Returns the Outcome."""
    from ioudesk.approvals import services as approvals

    application = Application.objects.select_for_update(of=("self",)).select_related("product").get(pk=application.pk)
    if not user.has_perm("applications.submit_application") or not scope.can_see_branch(user, application.branch_id):
        raise PermissionDenied(_("您没有提交该申请审批的权限。"))
    if application.status not in (Status.SUBMITTED, Status.RETURNED, Status.DRAFT):
        raise InvalidState(_("申请%(status)s，不能提交审批。") % {"status": application.get_status_display()})
    missing = missing_materials(application)
    if missing:
        raise InvalidState(_("材料尚未齐全或未审核通过：%(items)s。请先审核材料（或请申请人补充）再提交审批。") % {
            "items": "、".join(missing)}, code="materials_missing")
    if application.account_manager_id is None:
        application.account_manager = user
        application.save(update_fields=["account_manager", "updated_at"])
    application_screen(application=application, user=user)
    if application.status == Status.REJECTED:
        return approvals.Outcome(request=None, result={"rejected": application.decision_reason})
    request = application.approval_request
    if request is not None and request.status == "returned":
        request = approvals.request_resubmit(request=request, user=user, payload=approval_payload(application, user=user),
                                             comment=comment)
        outcome = approvals.Outcome(request=request, result=None)
    else:
        outcome = approvals.submit_or_run(
            kind="application", target=application, user=user, payload=approval_payload(application, user=user),
            summary=_g("贷款申请 %(number)s %(name)s ¥%(amount)s") % {
                "number": application.number, "name": application.applicant_name,
                "amount": f"{application.amount:,.2f}"},
            reason=comment, amount=application.amount, product=application.product, branch=application.branch,
            score=application.score)
    application.refresh_from_db()
    if outcome.request is not None and outcome.request.status == "pending":
        application.status, application.approval_request = Status.IN_REVIEW, outcome.request
        application.save(update_fields=["status", "approval_request", "updated_at"])
        audit.record(AuditAction.ACTION, obj=application, verb=_g("提交审批"), reason=comment)
        _event(application, _g("提交审批"), note=_g("审批单号 %(number)s") % {"number": outcome.request.number},
               user=user)
        _event(application, _g("审批中"), note=_g("您的申请已进入审批。"), public=True)
    return outcome


def _approval_checker(request) -> object | None:
    """The approver whose decision made the offer (the one who approves the IOU on acceptance)."""
    decision = request.decisions.filter(decision__in=("counter_offer", "approve")).order_by("-at", "-pk").first()
    return decision.decided_by if decision else None


def _customer_for(application: Application, *, user):
    """The applicant's customer record: the one with this ID number, or a new one in the
    application's branch (without the phone when another customer already has it)."""
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import DuplicateCustomer, customer_create, find_duplicates

    if application.customer_id:
        return application.customer
    found = [d.customer for d in find_duplicates(id_number=application.id_number) if d.field == "id_number"]
    if found:
        return found[0]

    def build(phone):
        return Customer(name=application.applicant_name, id_number=application.id_number, phone=phone,
                        branch=application.branch, owner=application.account_manager, employer=application.employer,
                        monthly_income=application.monthly_income)
    try:
        return customer_create(customer=build(application.phone), user=user)
    except DuplicateCustomer:
        return customer_create(customer=build(""), user=user)


def _create_iou(application: Application, *, amount: Decimal, term: int, rate_text: str, maker, checker, request):
    """The IOU on the product's terms (with the approved amount, term and rate), submitted and, when
    an approver decided, approved: ready to disburse."""
    import inspect

    from ioudesk.ious.services.origination import iou_approve, iou_create, iou_from_product, iou_submit

    customer = _customer_for(application, user=maker)
    fields = {"reason": application.purpose[:200]}
    if rate_text and rate_text != application.product.rate_text:
        fields["rate_text"] = rate_text
    iou = iou_from_product(product=application.product, customer=customer, principal=amount, term=term,
                           contract_date=clock.today(), **fields)
    iou, _warning = iou_create(user=maker, iou=iou, confirm_checks=True)

    def call(function, **kwargs):
        if request is not None and "approval" in inspect.signature(function).parameters:
            kwargs["approval"] = request
        return function(**kwargs)

    iou = call(iou_submit, iou=iou, user=maker)
    if checker is not None and iou.status == "pending_approval":
        iou = call(iou_approve, iou=iou, user=checker, comment=_g("贷款申请 %(number)s 审批通过") % {
            "number": application.number})
    return customer, iou


def application_execute(*, target: Application, payload: dict, maker, checker=None, approval=None) -> dict:
    """The ``application`` kind's executor (approvals runs it in the last approval's transaction,
    or at once when no flow applies): a counter-offer waits for the applicant; otherwise the IOU."""
    application = Application.objects.select_for_update(of=("self",)).select_related("product").get(pk=target.pk)
    offer = (payload or {}).get("offer") or {}
    if approval is not None and application.approval_request_id != approval.pk:
        application.approval_request = approval
    application.decided_at = timezone.now()
    if offer:
        application.status = Status.OFFERED
        application.offer = {"amount": str(offer.get("amount") or application.amount),
                             "term": int(offer.get("term") or application.term),
                             "rate_text": str(offer.get("rate_text") or application.product.rate_text)}
        application.save(update_fields=["status", "offer", "decided_at", "approval_request", "updated_at"])
        audit.record(AuditAction.ACTION, obj=application, verb=_g("改条件同意"), changes={"offer": [None, application.offer]})
        _tell(application, _g("新的借款条件"), _g("审批通过，但条件有调整：金额 ¥%(amount)s，%(term)d 期，利率 %(rate)s。"
                                              "请在申请进度页确认是否接受。") % {
            "amount": f"{Decimal(application.offer['amount']):,.2f}", "term": application.offer["term"],
            "rate": application.offer["rate_text"]}, user=checker)
        return {"application": application.pk, "offered": application.offer, "awaiting_acceptance": True}
    customer, iou = _create_iou(application, amount=application.amount, term=application.term,
                                rate_text=application.product.rate_text, maker=maker, checker=checker,
                                request=approval)
    application.status, application.customer, application.iou = Status.APPROVED, customer, iou
    application.save(update_fields=["status", "customer", "iou", "decided_at", "approval_request", "updated_at"])
    audit.record(AuditAction.ACTION, obj=application, verb=_g("申请批准"), changes={"iou": [None, iou.number]})
    _tell(application, _g("申请已批准"), _g("恭喜，您的申请已批准：¥%(amount)s，%(term)d 期。我们将尽快与您联系办理放款。") % {
        "amount": f"{application.amount:,.2f}", "term": application.term}, user=checker)
    return {"application": application.pk, "iou": iou.pk, "iou_number": iou.number, "customer": customer.pk}


@transaction.atomic
def application_offer_respond(*, application: Application, accept: bool, user=None, note: str = "") -> Application:
    """The applicant accepts or declines a counter-offer (on the tracking page: no user), or the
    account manager records their answer. Accepting creates the IOU on the offered terms."""
    application = Application.objects.select_for_update(of=("self",)).select_related("product", "approval_request").get(
        pk=application.pk)
    if user is not None and (not user.has_perm("applications.change_application")
                             or not scope.can_see_branch(user, application.branch_id)):
        raise PermissionDenied(_("您没有代申请人确认新条件的权限。"))
    if application.status != Status.OFFERED:
        raise InvalidState(_("申请%(status)s，没有待确认的新条件。") % {"status": application.get_status_display()})
    who = _g("客户经理代为记录") if user is not None else _g("申请人")
    if not accept:
        application.status = Status.WITHDRAWN
        application.decision_reason = _g("申请人不接受调整后的条件") + (f"：{note}" if note else "")
        application.save(update_fields=["status", "decision_reason", "updated_at"])
        audit.record(AuditAction.ACTION, obj=application, verb=_g("不接受新条件"), reason=f"{who} {note}".strip())
        _tell(application, _g("不接受新条件"), _g("您已选择不接受新的借款条件，申请已结束。"), user=user)
        return application
    request = application.approval_request
    maker = request.maker if request is not None else (user or application.account_manager)
    checker = _approval_checker(request) if request is not None else None
    offer = application.offer
    customer, iou = _create_iou(application, amount=Decimal(offer["amount"]), term=int(offer["term"]),
                                rate_text=offer["rate_text"], maker=maker, checker=checker, request=request)
    application.status, application.customer, application.iou = Status.ACCEPTED, customer, iou
    application.save(update_fields=["status", "customer", "iou", "updated_at"])
    audit.record(AuditAction.ACTION, obj=application, verb=_g("接受新条件"), reason=who,
                 changes={"iou": [None, iou.number]})
    _tell(application, _g("已接受新条件"), _g("您已接受新的借款条件：¥%(amount)s，%(term)d 期。我们将尽快与您联系办理放款。") % {
        "amount": f"{Decimal(offer['amount']):,.2f}", "term": offer["term"]}, user=user)
    return application


def application_on_reject(*, request, user, comment: str = "") -> None:
    """The ``application`` kind's hook when an approver rejects the request."""
    application = Application.objects.select_for_update().get(pk=request.target_id)
    if application.status not in (Status.IN_REVIEW, Status.RETURNED, Status.SUBMITTED):
        return
    application.status, application.decision_reason = Status.REJECTED, comment
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decision_reason", "decided_at", "updated_at"])
    audit.record(AuditAction.ACTION, obj=application, verb=_g("申请被拒绝"), reason=comment)
    # the approver's comment is internal (kept as the decision reason for staff); the applicant is told the result
    _tell(application, _g("申请未通过"), _g("很抱歉，您的申请未获批准。如有疑问，请联系您的客户经理。"), user=user)


def application_on_cancel(*, request, user, comment: str = "", **_ignored) -> None:
    """The maker withdrew the approval request: the application waits to be submitted again."""
    application = Application.objects.select_for_update().get(pk=request.target_id)
    if application.status not in (Status.IN_REVIEW, Status.RETURNED):
        return
    application.status = Status.SUBMITTED
    application.save(update_fields=["status", "updated_at"])
    _event(application, _g("撤回审批"), note=comment, user=user)


def application_on_return(*, request, user, comment: str = "") -> None:
    """The ``application`` kind's hook when an approver returns the request for more information."""
    application = Application.objects.select_for_update().get(pk=request.target_id)
    application.status = Status.RETURNED
    application.save(update_fields=["status", "updated_at"])
    audit.record(AuditAction.ACTION, obj=application, verb=_g("退回补充"), reason=comment)
    _tell(application, _g("需要补充信息"), _g("审核需要补充信息：%(comment)s") % {"comment": comment}, user=user)


@transaction.atomic
def application_withdraw(*, application: Application, user=None, reason: str = "") -> Application:
    """The applicant (tracking page: no user) or the account manager withdraws an open application."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if user is not None and (not user.has_perm("applications.change_application")
                             or not scope.can_see_branch(user, application.branch_id)):
        raise PermissionDenied(_("您没有撤回该申请的权限。"))
    if application.status not in (Status.DRAFT, Status.SUBMITTED, Status.RETURNED):
        raise InvalidState(_("申请%(status)s，不能撤回。") % {"status": application.get_status_display()})
    application.status, application.decision_reason = Status.WITHDRAWN, (reason or "").strip()[:500]
    application.save(update_fields=["status", "decision_reason", "updated_at"])
    audit.record(AuditAction.ACTION, obj=application, verb=_g("撤回申请"), reason=reason)
    _tell(application, _g("已撤回"), _g("申请已撤回。"), user=user)
    return application


def duplicate_count(facts, days: int) -> int:
    """For screening's duplicate rule (registered in apps.ready): other applications with this ID
    number in the ``days`` before the application day."""
    if not facts.id_number_index:
        return 0
    since = timezone.make_aware(dt.datetime.combine(facts.applied_on - dt.timedelta(days=days), dt.time.min))
    rows = Application.objects.filter(id_number_index=facts.id_number_index, created_at__gte=since).exclude(
        status=Status.WITHDRAWN)
    if facts.application_id:
        rows = rows.exclude(pk=facts.application_id)
    return rows.count()


def material_open(*, user, material: ApplicationMaterial):
    """Open a material's file for a member of staff who sees the application; the download is
    recorded in the audit trail."""
    from ioudesk.core.errors import NotFound

    if not user.has_perm("applications.view_applicationmaterial"):
        raise PermissionDenied(_("您没有查看申请材料的权限。"))
    try:
        handle = private_storage().open(material.file.name, "rb")
    except FileNotFoundError as error:
        raise NotFound(_("材料文件已丢失（%(name)s），请联系系统管理员从备份恢复。") % {
            "name": material.original_name}) from error
    audit.record(AuditAction.DOWNLOAD, obj=material, verb=_g("查看申请材料"), branch_id=material.application.branch_id)
    return handle


def portal_branches():
    """The branches an applicant may choose on the public page (active ones)."""
    from ioudesk.core.models import Branch
    from ioudesk.core.services import organisation_current

    return Branch.objects.filter(organisation=organisation_current(), is_active=True).order_by("path")


DEFAULT_REQUIREMENTS = [
    # code, name, description, required, kinds, max MB
    ("id_card", "身份证", "身份证人像面和国徽面（可拍照上传，或合成一个 PDF）", True, "jpeg,png,heic,webp,pdf", 10),
    ("income", "收入证明", "单位开具的收入证明，或近 6 个月工资流水", True, "jpeg,png,heic,pdf", 10),
    ("bank_statement", "银行流水", "近 6 个月的银行流水（PDF 或截图）", False, "pdf,jpeg,png,xlsx", 20),
]


@transaction.atomic
def application_defaults_ensure() -> int:
    """The usual materials checklist (for all products) on first start; the administrator edits it
    afterwards (申请材料清单). Returns the items created."""
    if MaterialRequirement.objects.exists():
        return 0
    for order, (code, name, description, required, kinds, size) in enumerate(DEFAULT_REQUIREMENTS, start=1):
        MaterialRequirement.objects.create(code=code, name=name, description=description, required=required,
                                           allowed_kinds=kinds, max_size_mb=size, order=order * 10)
    return len(DEFAULT_REQUIREMENTS)
