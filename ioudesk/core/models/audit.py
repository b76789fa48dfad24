"""The audit trail: one append-only row per create, update, delete or business action."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    ACTION = "action", _("业务操作")
    LOGIN = "login", _("登录")
    LOGOUT = "logout", _("退出")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKOUT = "lockout", _("账户锁定")
    VIEW_SENSITIVE = "view_sensitive", _("查看敏感信息")
    DOWNLOAD = "download", _("下载")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("审计日志只能追加，不能修改。")

    def delete(self):
        raise PermissionError("审计日志只能追加，不能删除。")


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    # The actor and object are kept as plain ids plus a text snapshot: deleting a user or a record
    # must never delete or change what the trail says about them.
    actor_id = models.BigIntegerField(_("操作人ID"), null=True, blank=True, db_index=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=AuditAction.choices, db_index=True)
    verb = models.CharField(_("事项"), max_length=80, blank=True, help_text=_("业务操作的名称，如“修改角色”。"))
    content_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("对象类型"), null=True, blank=True,
        on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        db_index=False,  # audit_object_idx (content_type, object_id) serves every lookup by type
    )
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    branch_id = models.BigIntegerField(_("网点ID"), null=True, blank=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()
    prepared_insert = True  # save() only refuses updates: core.prepared.insert may write new rows

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_object_idx")]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计日志只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计日志只能追加，不能删除。")
