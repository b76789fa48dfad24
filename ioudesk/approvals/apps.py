from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "ioudesk.approvals"
    label = "approvals"
    verbose_name = _("审批")

    def ready(self):
        from ioudesk.approvals import core_kinds, deadlines
        from ioudesk.approvals.services import gate
        from ioudesk.core.approval_hooks import APPROVAL_GATES
        from ioudesk.jobs.scheduler import every, register_periodic

        core_kinds.register()
        if gate not in APPROVAL_GATES:
            APPROVAL_GATES.append(gate)
        register_periodic("approvals.deadlines", label=_("审批时限：临近提醒与超时升级"), due=every(minutes=15),
                          run=deadlines.run)
