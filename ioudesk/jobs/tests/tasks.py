"""A task for the worker's tests (enqueued into a real database, run by a real `ioudesk worker`)."""

from pathlib import Path

from django_tasks import task


@task()
def touch(path: str, text: str) -> None:
    Path(path).write_text(text)
