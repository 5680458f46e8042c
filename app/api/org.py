from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from app.api import bp, ok
from app.api.accounts import user_json
from app.extensions import db
from app.org.models import Branch
from app.org.services import get_branch_for, members_query, scope_path, visible_branches


def branch_json(branch: Branch) -> dict:
    return {
        "id": branch.id,
        "name": branch.name,
        "kind": branch.kind.value,
        "parent_id": branch.parent_id,
        "depth": branch.depth,
    }


@bp.get("/branches")
def list_branches():
    if scope_path(current_user) is None:
        raise Forbidden(_("只有组织员和管理员可以查看组织列表。"))
    return ok([branch_json(b) for b in visible_branches(current_user)])


@bp.get("/branches/<int:branch_id>/members")
def list_branch_members(branch_id: int):
    branch = get_branch_for(branch_id, current_user)
    page = request.args.get("page", 1, type=int)
    per_page = min(request.args.get("per_page", 50, type=int), 200)
    result = db.paginate(members_query(current_user, branch), page=page, per_page=per_page, error_out=False)
    return ok(
        {
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "members": [user_json(u) for u in result.items],
        }
    )
