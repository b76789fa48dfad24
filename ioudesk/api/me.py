from ninja import Router, Schema

from ioudesk.api.errors import documented
from ioudesk.core import scope
from ioudesk.core.names import person_name

router = Router(tags=["当前用户"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    branch: str | None
    roles: list[str]
    sees_all_branches: bool


@router.get("", response={200: MeOut, **documented(401)}, summary="当前令牌所属的员工")
def me(request):
    user = request.user
    return MeOut(
        id=user.pk, username=user.username, name=person_name(user.last_name, user.first_name),
        branch=user.branch.name if user.branch_id else None,
        roles=sorted(user.groups.values_list("name", flat=True)),
        sees_all_branches=scope.sees_all_branches(user),
    )
