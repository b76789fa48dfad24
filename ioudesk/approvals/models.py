"""Approval flows (审批流) as data the administrator edits, and the requests that run through them.

A *request kind* (``registry.py``) is an operation that may need a second person: an application,
an IOU's approval, a waiver, a reversal, a write-off, an extension, a refund, moving the business
date back, changing a product, a flow or a role. A kind's *flow* is chosen by its conditions; a flow
is *versioned* (an edit publishes a new ``FlowVersion``; a running request keeps the version it
started on). Each *step* of a version names who approves (a role, an approver group or named
users), how (any one of 或签, all of 会签, in sequence 依次, N of M) and when it applies (amount,
product, branch, score). A request's *tasks* are the approvers' to-dos; every action on a request is
an append-only ``ApprovalDecision`` with what the approver saw. docs/domain.md §23.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.core import append_only
from ioudesk.core.fields import MoneyField


class AppendOnlyQuerySet(append_only.AppendOnlyQuerySet):
    message = "审批记录只能追加，不能修改或删除。"


class ApproverGroup(models.Model):
    """审批组: a named set of approvers (e.g. 风控委员会) a step may name instead of a role."""

    name = models.CharField(_("审批组名称"), max_length=40, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("成员"), blank=True,
                                     related_name="approver_groups")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("审批组")
        verbose_name_plural = _("审批组")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ApprovalFlow(models.Model):
    """One configurable flow for one request kind. Among a kind's active flows the first (by
    ``priority``) whose conditions match a request is used; a kind with no matching flow needs no
    approval (the operation takes effect at once, as before)."""

    name = models.CharField(_("审批流名称"), max_length=60)
    kind = models.CharField(_("审批事项"), max_length=40, db_index=True,
                            help_text=_("该审批流适用的业务事项"))
    priority = models.PositiveSmallIntegerField(_("优先级"), default=100,
                                                help_text=_("同一事项有多个审批流时，数字小的先匹配"))
    is_active = models.BooleanField(_("启用"), default=True)
    # Conditions for the whole flow (blank: any). E.g. a waiver needs approval only from ¥1,000.
    min_amount = MoneyField(_("金额下限（元）"), null=True, blank=True, help_text=_("金额不低于此值时适用；留空不限"))
    max_amount = MoneyField(_("金额上限（元）"), null=True, blank=True, help_text=_("金额不高于此值时适用；留空不限"))
    products = models.ManyToManyField("products.Product", verbose_name=_("适用产品"), blank=True, related_name="+")
    branches = models.ManyToManyField("core.Branch", verbose_name=_("适用网点"), blank=True, related_name="+")
    current_version = models.ForeignKey("FlowVersion", verbose_name=_("当前版本"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审批流")
        verbose_name_plural = _("审批流")
        ordering = ["kind", "priority", "pk"]

    def __str__(self):
        return self.name


class FlowVersion(models.Model):
    """A published set of steps. Never edited once a request uses it: an edit is a new version."""

    flow = models.ForeignKey(ApprovalFlow, verbose_name=_("审批流"), on_delete=models.CASCADE,
                             related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审批流版本")
        verbose_name_plural = _("审批流版本")
        constraints = [models.UniqueConstraint(fields=["flow", "number"], name="approvals_flow_version_unique")]
        ordering = ["flow", "-number"]

    def __str__(self):
        return f"{self.flow} v{self.number}"


class StepMode(models.TextChoices):
    ANY = "any", _("或签（任一人同意）")
    ALL = "all", _("会签（全部同意）")
    SEQUENCE = "sequence", _("依次审批")
    N_OF_M = "n_of_m", _("N 人同意")


class ApproverType(models.TextChoices):
    ROLE = "role", _("角色")
    GROUP = "group", _("审批组")
    USERS = "users", _("指定人员")


class FlowStep(models.Model):
    version = models.ForeignKey(FlowVersion, verbose_name=_("版本"), on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("步骤名称"), max_length=40)
    approver_type = models.CharField(_("审批人类型"), max_length=10, choices=ApproverType.choices,
                                     default=ApproverType.ROLE)
    role = models.ForeignKey("auth.Group", verbose_name=_("角色"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(ApproverGroup, verbose_name=_("审批组"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("指定人员"), blank=True,
                                   related_name="+")
    mode = models.CharField(_("审批方式"), max_length=10, choices=StepMode.choices, default=StepMode.ANY)
    required_count = models.PositiveSmallIntegerField(_("需同意人数"), default=1, help_text=_("仅“N 人同意”使用"))
    # Conditions for this step (blank: always). E.g. over ¥200,000 adds a risk-committee step.
    min_amount = MoneyField(_("金额下限（元）"), null=True, blank=True)
    max_amount = MoneyField(_("金额上限（元）"), null=True, blank=True)
    products = models.ManyToManyField("products.Product", verbose_name=_("适用产品"), blank=True, related_name="+")
    branches = models.ManyToManyField("core.Branch", verbose_name=_("适用网点"), blank=True, related_name="+")
    min_score = models.IntegerField(_("评分下限"), null=True, blank=True)
    max_score = models.IntegerField(_("评分上限"), null=True, blank=True)
    time_limit_hours = models.PositiveIntegerField(_("时限（小时）"), null=True, blank=True,
                                                   help_text=_("超时后升级；临近时限提醒审批人"))
    escalate_to_role = models.ForeignKey("auth.Group", verbose_name=_("超时升级给角色"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    escalate_to_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("超时升级给人员"), null=True,
                                         blank=True, on_delete=models.PROTECT, related_name="+")
    allow_bulk = models.BooleanField(_("允许批量审批"), default=False,
                                     help_text=_("低风险事项可在待我审批中批量同意"))

    class Meta:
        verbose_name = _("审批步骤")
        verbose_name_plural = _("审批步骤")
        constraints = [models.UniqueConstraint(fields=["version", "order"], name="approvals_step_order_unique")]
        ordering = ["version", "order"]

    def __str__(self):
        return f"{self.order}. {self.name}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("审批中")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已撤回")


class ApprovalRequest(models.Model):
    """One operation waiting for (or decided by) its approvers. ``payload`` holds what the maker asked
    for (JSON of strings: amounts as "1234.56"); the kind's executor carries it out on the last
    approval, in the same transaction as that decision."""

    number = models.CharField(_("审批单号"), max_length=24, unique=True, editable=False)
    kind = models.CharField(_("审批事项"), max_length=40, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=RequestStatus.choices,
                              default=RequestStatus.PENDING, db_index=True)
    flow_version = models.ForeignKey(FlowVersion, verbose_name=_("审批流版本"), on_delete=models.PROTECT,
                                     related_name="requests")
    current_step = models.PositiveSmallIntegerField(_("当前步骤"), null=True, blank=True)
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT,
                              related_name="approval_requests")
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    target_type = models.ForeignKey(ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT,
                                    related_name="+")
    target_id = models.PositiveBigIntegerField(_("对象"))
    amount = MoneyField(_("金额（元）"), null=True, blank=True)
    product = models.ForeignKey("products.Product", verbose_name=_("产品"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    score = models.IntegerField(_("评分"), null=True, blank=True)
    summary = models.CharField(_("摘要"), max_length=200)
    reason = models.TextField(_("申请理由"), blank=True)
    payload = models.JSONField(_("申请内容"), default=dict)
    result = models.JSONField(_("执行结果"), default=dict, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审批单")
        verbose_name_plural = _("审批单")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["target_type", "target_id", "status"], name="approvals_req_target_idx")]
        permissions = [
            ("decide_approvalrequest", _("审批（同意、驳回、退回、改条件）")),
        ]

    def __str__(self):
        return f"{self.number} {self.summary}"


class TaskState(models.TextChoices):
    WAITING = "waiting", _("等待前序")       # in sequence (依次): not this approver's turn yet
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已同意")
    REJECTED = "rejected", _("已驳回")
    RETURNED = "returned", _("已退回")
    TRANSFERRED = "transferred", _("已转办")
    CANCELLED = "cancelled", _("无需处理")   # another approver's decision settled the step


class ApprovalTask(models.Model):
    request = models.ForeignKey(ApprovalRequest, verbose_name=_("审批单"), on_delete=models.CASCADE,
                                related_name="tasks")
    step = models.ForeignKey(FlowStep, verbose_name=_("步骤"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    step_order = models.PositiveSmallIntegerField(_("步骤顺序"))
    position = models.PositiveSmallIntegerField(_("次序"), default=0, help_text=_("依次审批时的先后"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审批人"), on_delete=models.PROTECT,
                                 related_name="approval_tasks")
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("委派人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     help_text=_("委派或转办前的审批人"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("加签人"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("状态"), max_length=12, choices=TaskState.choices, default=TaskState.PENDING,
                             db_index=True)
    due_at = models.DateTimeField(_("处理时限"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    acted_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审批任务")
        verbose_name_plural = _("审批任务")
        ordering = ["request", "step_order", "position", "pk"]
        indexes = [models.Index(fields=["assignee", "state"], name="approvals_task_inbox_idx")]

    def __str__(self):
        return f"{self.request.number} {self.assignee}"


class DecisionKind(models.TextChoices):
    SUBMIT = "submit", _("提交")
    RESUBMIT = "resubmit", _("重新提交")
    APPROVE = "approve", _("同意")
    REJECT = "reject", _("驳回")
    RETURN = "return", _("退回补充")
    RETURN_TO_STEP = "return_step", _("退回上一步")
    COUNTER_OFFER = "counter_offer", _("改条件同意")
    TRANSFER = "transfer", _("转办")
    DELEGATE = "delegate", _("委派")
    ADD_APPROVER = "add_approver", _("加签")
    ESCALATE = "escalate", _("超时升级")
    CANCEL = "cancel", _("撤回")
    EXECUTE = "execute", _("执行")
    NOTE = "note", _("说明")                # the system's note in the timeline (a fallback approver, a delegation)


class ApprovalDecision(append_only.AppendOnlyModel):
    """Who did what to a request, when, with which comment, and the figures they saw (``seen``: the
    kind's ``describe`` rows at that moment). Append-only (model, queryset and database triggers)."""

    request = models.ForeignKey(ApprovalRequest, verbose_name=_("审批单"), on_delete=models.PROTECT,
                                related_name="decisions")
    task = models.ForeignKey(ApprovalTask, verbose_name=_("审批任务"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    step_order = models.PositiveSmallIntegerField(_("步骤"), null=True, blank=True)
    decision = models.CharField(_("操作"), max_length=16, choices=DecisionKind.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("意见"), blank=True)
    seen = models.JSONField(_("审批时所见"), default=list, blank=True)
    offer = models.JSONField(_("调整后的条件"), default=dict, blank=True)
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("转交给"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.request_id} {self.get_decision_display()}"


class Delegation(models.Model):
    """委派 while away: from ``starts_on`` to ``ends_on`` the tasks that would go to ``from_user`` go to
    ``to_user`` (``on_behalf_of`` keeps whose they were)."""

    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("委派人"), on_delete=models.CASCADE,
                                  related_name="delegations_out")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("代理审批人"), on_delete=models.PROTECT,
                                related_name="delegations_in")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("原因"), max_length=100, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审批委派")
        verbose_name_plural = _("审批委派")
        ordering = ["-starts_on"]

    def __str__(self):
        return f"{self.from_user} → {self.to_user}"
