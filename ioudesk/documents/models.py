"""Document templates (单据模板) the administrator edits: the wording of the 借条, 欠条, 还款凭证,
结清证明, 展期协议 and the collection letters (催款函, 律师函: ioudesk/legal/letters.py). The layout (header, title, tables, footer) is drawn by ioudesk.documents.pdf; a template
holds only the text, with placeholders such as ``{{ amount_words }}`` (see placeholders.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    IOU_LOAN = "iou_loan", _("借条")
    IOU_DEBT = "iou_debt", _("欠条")
    RECEIPT = "receipt", _("还款凭证")
    SETTLEMENT = "settlement", _("结清证明")
    EXTENSION = "extension", _("展期协议")
    DEMAND = "demand", _("催款函")
    LAWYER = "lawyer", _("律师函")


class DocumentTemplate(models.Model):
    kind = models.CharField(_("单据类型"), max_length=12, choices=DocumentKind.choices, db_index=True)
    title = models.CharField(_("标题"), max_length=40, help_text=_("印在单据顶部，如“借条”。"))
    body = models.TextField(
        _("正文"),
        help_text=_("空一行开始新的段落。用占位符插入借据的内容，如 {{ amount_words }}；"
                    "{% if guarantor %}…{% endif %} 之间的文字只在有内容时印出。"
                    "正文之后印表格（还款计划、还款分摊或结清明细）。"),
    )
    closing = models.TextField(
        _("落款与签署栏"), blank=True,
        help_text=_("印在表格之后：签字、按手印、日期等，每行一项。可用与正文相同的占位符。"),
    )
    is_active = models.BooleanField(_("启用"), default=True,
                                    help_text=_("每种单据只能有一个启用的模板；启用本模板会停用同类的其他模板。"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("单据模板")
        verbose_name_plural = _("单据模板")
        ordering = ["kind", "-is_active", "-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(is_active=True), name="document_template_one_active"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.title}"
