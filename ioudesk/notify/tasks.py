"""Background tasks of the notify app (django-tasks, database backend). Thin: each calls one service."""

from django_tasks import task

from ioudesk.notify import services


@task()
def deliver_message(message_id: int) -> None:
    """Deliver one queued message (services.message_deliver claims it: a second run does nothing)."""
    services.message_deliver(message_id)


@task()
def deliver_messages(message_ids: list[int]) -> None:
    """Deliver a batch of queued messages (services.message_queue_many enqueues one per batch), each
    claimed on its own by services.message_deliver: one already taken by another run is skipped."""
    services.messages_deliver(message_ids)
