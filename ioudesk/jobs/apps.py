from datetime import time

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "ioudesk.jobs"
    label = "jobs"
    verbose_name = _("后台作业")

    def ready(self):
        from ioudesk.jobs.scheduler import daily_at, register_periodic, slots_prune

        register_periodic("jobs.prune_slots", label=_("清理过期的计划任务时段"), due=daily_at(time(3, 30)),
                          run=slots_prune)
