"""Private file storage: customer documents and other files no URL may serve directly.

On disk under `<IOUDESK_DATA_DIR>/private` (outside STATIC_ROOT and MEDIA_ROOT, with no base URL),
or in an S3-compatible bucket when `IOUDESK_S3_BUCKET` is set:

| variable | meaning |
|---|---|
| IOUDESK_S3_BUCKET | bucket name; setting it switches private files to S3 (needs `django-storages[s3]`) |
| IOUDESK_S3_ENDPOINT_URL | e.g. `https://oss-cn-hangzhou.aliyuncs.com`, `https://cos.ap-shanghai.myqcloud.com`, MinIO |
| IOUDESK_S3_ACCESS_KEY, IOUDESK_S3_SECRET_KEY | credentials (else boto3's own lookup) |
| IOUDESK_S3_REGION | region name |

Each is read from the Django setting of the same name if it exists, else from the environment.
Objects are written with a private ACL; the application streams them to the user after its own
permission check, so no signed URL is ever handed out.

`private_storage` is a callable so a FileField can name it (`storage=private_storage`) and the
choice is made when the app starts, not when migrations are written.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage


def _config(name: str) -> str:
    return str(getattr(settings, name, "") or os.environ.get(name, "") or "")


def private_root() -> Path:
    return Path(getattr(settings, "IOUDESK_PRIVATE_DIR", "") or Path(settings.DATA_DIR) / "private")


class PrivateFileSystemStorage(FileSystemStorage):
    """Files under the private directory, readable by the application's user only. The location
    follows the settings at every use, so tests (and `override_settings`) can move it."""

    def __init__(self):
        super().__init__(file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @property
    def base_location(self):
        return str(private_root())

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("Private files have no URL: download them through the permission-checked view.")


def s3_storage() -> Storage:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError as error:
        raise ImproperlyConfigured(
            "IOUDESK_S3_BUCKET is set, but django-storages is not installed: "
            "pip install 'django-storages[s3]' boto3"
        ) from error
    return S3Storage(
        bucket_name=_config("IOUDESK_S3_BUCKET"),
        endpoint_url=_config("IOUDESK_S3_ENDPOINT_URL") or None,
        access_key=_config("IOUDESK_S3_ACCESS_KEY") or None,
        secret_key=_config("IOUDESK_S3_SECRET_KEY") or None,
        region_name=_config("IOUDESK_S3_REGION") or None,
        default_acl="private",
        querystring_auth=True,
        file_overwrite=False,
        custom_domain=None,
    )


def private_storage() -> Storage:
    if _config("IOUDESK_S3_BUCKET"):
        return s3_storage()
    return PrivateFileSystemStorage()
