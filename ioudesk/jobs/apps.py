from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "ioudesk.jobs"
    label = "jobs"
    verbose_name = _("后台作业")

    def ready(self):
        from ioudesk.jobs.scheduler import every, register_periodic, slots_prune

        register_periodic("jobs.prune_slots", label=_("清理过期的计划任务时段"), due=every(minutes=60),
                          run=slots_prune)
