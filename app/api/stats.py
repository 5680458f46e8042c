"""``GET /api/v1/stats/members``: the member structure of a subtree the caller manages."""

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from app.api import ApiError, bp, ok
from app.assessment.statistics import buckets, services
from app.core.clock import localtoday


@bp.get("/stats/members")
def stats_members():
    by = request.args.get("by", "")
    dimension = buckets.DIMENSIONS.get(by)
    if dimension is None:
        raise ApiError(
            _("参数 by 须为以下之一：%(choices)s", choices="、".join(buckets.DIMENSIONS)), field="by"
        )
    scope = services.scope_for(current_user, request.args.get("branch_id"))
    rows, as_of = services.member_structure(scope, by, localtoday())
    return ok(
        {
            "branch_id": scope.branch.id if scope.branch else None,
            "by": by,
            "as_of": as_of.isoformat() if as_of else None,
            "total": sum(n for _key, n in rows),
            "buckets": [{"key": key, "label": dimension.label_of(key), "members": n} for key, n in rows],
        }
    )
