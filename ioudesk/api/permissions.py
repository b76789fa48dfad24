from ioudesk.core.errors import PermissionDenied


def require_perm(request, *perms: str) -> None:
    """The API checks the same model permissions as the back office."""
    missing = [perm for perm in perms if not request.user.has_perm(perm)]
    if missing:
        raise PermissionDenied()
