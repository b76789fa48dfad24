from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import api, core, customers, documents, followups, ious, ledger, products, twofactor  # noqa: F401

admin.site.site_title = _("欠条管家")
admin.site.site_header = _("欠条管家")
admin.site.index_title = _("首页")
