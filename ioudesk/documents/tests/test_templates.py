"""Document templates: seeded defaults, the check on save (syntax, tags, placeholders), the audit
trail, and an edited template printed on the next document."""

import pytest
from django.urls import reverse

from ioudesk.core import audit
from ioudesk.core.errors import ValidationFailed
from ioudesk.documents import services
from ioudesk.documents.defaults import DEFAULTS
from ioudesk.documents.models import DocumentKind, DocumentTemplate
from ioudesk.documents.templating import check


def template(kind=DocumentKind.IOU_LOAN, body="今借到{{ creditor }}人民币（大写）{{ amount_words }}。", **fields):
    return DocumentTemplate(kind=kind, title=fields.pop("title", "借条"), body=body, **fields)


def test_defaults_are_seeded_once_and_all_valid(organisation):
    assert services.templates_ensure() == 7  # 借条, 欠条, 还款凭证, 结清证明, 展期协议, 催款函, 律师函
    assert services.templates_ensure() == 0
    assert DocumentTemplate.objects.filter(is_active=True).count() == 7
    for row in DocumentTemplate.objects.all():
        services.template_validate(template=row)
        assert row.title == DEFAULTS[row.kind]["title"]
    assert audit.events_for(DocumentTemplate.objects.first()).filter(verb="初始化单据模板").exists()


def test_unknown_placeholder_is_refused_with_the_allowed_names(organisation):
    with pytest.raises(ValidationFailed) as caught:
        services.template_validate(template=template(body="今借到{{ creditor }}{{ amout_words }}。"))
    message = str(caught.value.message)
    assert "未知的占位符：{{ amout_words }}" in message and "amount_words" in message
    assert caught.value.extra["field"] == "body"


@pytest.mark.parametrize(("body", "expected"), [
    ("{% if guarantor %}担保人{{ guarantor }}", "{% if %} 没有结束，缺少 {% endif %}"),
    ("{% include 'admin/base.html' %}", "不支持的标签 {% include %}"),
    ("{% debug %}", "不支持的标签 {% debug %}"),
    ("{% load static %}{% static 'x' %}", "不支持的标签"),
    ("{% for x in term %}{{ x }}{% endfor %}", "不支持的标签 {% for %}"),
    ("{{ debtor.pk }}", "不能用“.”取属性"),
    ("{{ debtor|upper }}", "不支持的过滤器“upper”"),
    ("{% if secret_key %}x{% endif %}", "未知的占位符：{{ secret_key }}"),
    ("{{ debtor|default:settings }}", "未知的占位符：{{ settings }}"),
    ("{{ }}", "没有写占位符"),
])
def test_unsafe_or_broken_templates_are_refused_in_chinese(body, expected):
    with pytest.raises(ValidationFailed, match=None) as caught:
        check(body, DocumentKind.IOU_LOAN)
    assert expected in str(caught.value.message), caught.value.message


def test_placeholders_differ_by_kind():
    check("{{ outstanding_figures }}", DocumentKind.RECEIPT)
    with pytest.raises(ValidationFailed, match="outstanding_figures"):
        check("{{ outstanding_figures }}", DocumentKind.IOU_LOAN)
    check('{% if has_interest and rate != "" %}{{ rate|default:"不计利息" }}{% endif %}', DocumentKind.IOU_DEBT)


def test_save_audits_and_keeps_one_active_per_kind(organisation, admin_user_zh):
    services.templates_ensure()
    old = DocumentTemplate.objects.get(kind=DocumentKind.IOU_LOAN)
    new = services.template_save(template=template(title="借款借据", body=DEFAULTS["iou_loan"]["body"] + "\n\n补充条款。",
                                                   closing="借款人：＿＿＿＿"), user=admin_user_zh)

    old.refresh_from_db()
    assert new.is_active and not old.is_active and new.updated_by == admin_user_zh
    assert services.active_template(DocumentKind.IOU_LOAN) == new
    assert audit.events_for(new).get(action="create").verb == "新增单据模板"
    assert audit.events_for(old).filter(verb="停用单据模板", changes__is_active=[True, False]).exists()

    new.body = new.body.replace("补充条款。", "补充条款（已修改）。")
    services.template_save(template=new, user=admin_user_zh)
    change = audit.events_for(new).get(action="update")
    assert change.verb == "修改单据模板" and "补充条款（已修改）。" in change.changes["body"][1]


def test_edited_template_is_printed(loan, finance, pdf_text, admin_user_zh):
    services.template_save(template=template(
        title="借据", body="今借到{{ creditor }}人民币（大写）{{ amount_words }}（¥{{ amount_figures }}）。\n\n"
                         "{% if guarantor %}担保人：{{ guarantor }}。{% endif %}本借据一式两份。",
        closing="借款人签字：＿＿＿＿\n日期：{{ contract_date }}"), user=admin_user_zh)

    text = "".join(pdf_text(services.iou_document_pdf(iou=loan, user=finance)).split())
    assert "借　　据".replace("　", "") in text.replace("\u3000", "")
    assert "人民币（大写）壹万元整（¥10,000.00）。" in text and "担保人：李明。本借据一式两份。" in text
    assert "日期：二〇二六年一月十五日" in text and "此据" not in text


def test_admin_form_refuses_a_bad_template_and_previews_a_good_one(client, admin_user_zh, pdf_font):
    client.force_login(admin_user_zh)
    add = reverse("admin:documents_documenttemplate_add")
    response = client.post(add, {"kind": "receipt", "title": "收据", "body": "收到{{ payer }}{{ amount_wrods }}",
                                 "closing": "", "is_active": "on"})
    assert response.status_code == 200
    assert "未知的占位符：{{ amount_wrods }}" in response.content.decode()
    assert not DocumentTemplate.objects.filter(title="收据").exists()

    response = client.post(add, {"kind": "receipt", "title": "收据", "body": "收到{{ payer }}{{ amount_words }}",
                                 "closing": "经办人：{{ operator }}", "is_active": "on"})
    assert response.status_code == 302
    row = DocumentTemplate.objects.get(title="收据")
    assert audit.events_for(row).filter(action="create").exists()

    change = client.get(reverse("admin:documents_documenttemplate_change", args=[row.pk]))
    assert change.status_code == 200 and "{{ outstanding_words }}" in change.content.decode()

    preview = client.get(reverse("admin:documents_documenttemplate_preview_pdf", args=[row.pk]))
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"

    changelist = client.get(reverse("admin:documents_documenttemplate_changelist"))
    assert changelist.status_code == 200 and "结清证明" in changelist.content.decode()
