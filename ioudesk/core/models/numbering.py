from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentSequence(models.Model):
    """The last number issued for one prefix, organisation and day (JD20261128-0001 …)."""

    organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT)
    prefix = models.CharField(_("前缀"), max_length=8)
    day = models.DateField(_("日期"))
    last_value = models.PositiveIntegerField(_("已用到"), default=0)

    class Meta:
        verbose_name = _("单据编号")
        verbose_name_plural = _("单据编号")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "prefix", "day"], name="document_sequence_unique"),
        ]

    def __str__(self):
        return f"{self.prefix}{self.day:%Y%m%d}-{self.last_value:04d}"
