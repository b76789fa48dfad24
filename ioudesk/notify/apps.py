from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "ioudesk.notify"
    label = "notify"
    verbose_name = _("消息通知")

    def ready(self):
        from ioudesk.notify import categories

        categories.register()
        _register_periodic()


def _minute_slot(now) -> str:
    return now.strftime("%Y-%m-%dT%H:%M")


def _sweep(slot: str) -> None:
    from ioudesk.notify.services import messages_enqueue_due

    messages_enqueue_due()


def _register_periodic() -> None:
    """Every minute the scheduler (ioudesk/jobs/scheduler.py) enqueues the messages whose time has
    come: retries after backoff, and those held back by quiet hours."""
    try:
        from ioudesk.jobs.scheduler import register_periodic
    except ImportError:  # the scheduler is being built (issue 10, H4)
        return
    register_periodic("notify.deliver_due", label=_("发送到期的消息"), due=_minute_slot, run=_sweep)
