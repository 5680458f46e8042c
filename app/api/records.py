"""Training records and xAPI statements over the API."""

from datetime import datetime

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from app.accounts.models import User
from app.api import ApiError, bp, ok
from app.core.clock import localtoday
from app.core.pagination import paginate_rows
from app.org.models import Branch
from app.org.services import scope_path
from app.records import services
from app.records.models import XapiStatement
from app.records.services.xapi import statement_json, xapi_site_url


@bp.get("/records/me")
def my_record():
    year = request.args.get("year", localtoday().year, type=int)
    by_year = dict(services.hours_by_year(current_user.id))
    return ok(
        {
            "year": year,
            "hours": float(by_year.get(year, 0)),
            "target": float(services.target_for(current_user)),
            "by_source": {k: float(v) for k, v in services.hours_by_source(current_user.id, year).items()},
            "years": {str(y): float(h) for y, h in by_year.items()},
        }
    )


@bp.get("/xapi/statements")
def xapi_statements():
    """Statements about members in the caller's scope, newest first (coordinators and admins)."""
    prefix = scope_path(current_user)
    if prefix is None:
        raise Forbidden(_("只有组织员和管理员可以读取 xAPI 语句。"))
    per_page = min(request.args.get("per_page", 100, type=int), 500)
    query = (
        sa.select(XapiStatement, User)
        .join(User, XapiStatement.user_id == User.id)
        .join(Branch, User.branch_id == Branch.id)
        .order_by(XapiStatement.timestamp.desc(), XapiStatement.id.desc())
    )
    if prefix:
        query = query.where(Branch.subtree_filter(prefix))
    if since := request.args.get("since"):
        try:
            moment = datetime.fromisoformat(since)
        except ValueError as exc:
            raise ApiError(_("since 须为 ISO 8601 时间，如 2026-01-01T00:00:00+08:00"), 400, "since") from exc
        if moment.tzinfo is None:
            raise ApiError(_("since 须带时区，如 +08:00"), 400, "since")
        query = query.where(XapiStatement.timestamp >= moment)
    page = paginate_rows(query, per_page=per_page)
    site_url = xapi_site_url()
    return ok(
        {
            "total": page.total,
            "page": page.page,
            "statements": [statement_json(s, u.employee_no, site_url) for s, u in page.items],
        }
    )
