from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecoveryConfig(AppConfig):
    name = "ioudesk.recovery"
    label = "recovery"
    verbose_name = _("回收计划与报表")

    def ready(self):
        from ioudesk.closing.registry import register_day_step
        from ioudesk.recovery import services

        # after the collections step (40: cases' buckets, arrears and owners brought to the day)
        register_day_step("recovery_snapshot", label=_("月末账龄快照"), order=60, run=services.snapshot_day_step,
                          count_labels={services.SNAPSHOT_COUNT: _("月末账龄快照借据")})
        register_day_step("recovery_activity", label=_("催收活动汇总"), order=61, run=services.activity_day_step,
                          count_labels={services.ACTIVITY_COUNT: _("催收活动汇总行"),
                                        services.RECOVERY_COUNT: _("回收汇总行")})
