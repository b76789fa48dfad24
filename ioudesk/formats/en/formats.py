"""English pages write dates and times like Chinese ones (2026-11-28 14:05): the same formats."""

from ioudesk.formats.zh_Hans.formats import *  # noqa: F403
