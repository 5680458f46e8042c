"""Per-branch figures of learning hours for a period, for other domains' reports (the assessment):
SQL aggregations over the members of a subtree, never a query per member."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.org.models import Branch
from app.records.models import HoursTotal
from app.records.reports import _with_branch_of_year, _with_year_total
from app.records.services.targets import target_expression


def members_on_target(prefix: str, year: int, today: date, share_of_target: Decimal = Decimal(1)) -> dict:
    """Per branch under ``prefix`` (``""``: all): ``(active members whose 学时 of ``year`` reached
    ``share_of_target`` of their yearly target, active members)``, each member counted in the branch
    they were in at the year's end (as the coordinators' dashboard counts them)."""
    hours = sa.func.coalesce(HoursTotal.hours, 0)
    met = sa.func.sum(sa.case((hours >= target_expression() * share_of_target, 1), else_=0))
    query = sa.select(Branch.id, met, sa.func.count(User.id)).select_from(User)
    query = _with_year_total(_with_branch_of_year(query, year, today), year)
    query = query.where(User.is_active_account.is_(True)).group_by(Branch.id)
    if prefix:
        query = query.where(Branch.subtree_filter(prefix))
    return {branch_id: (int(done or 0), count) for branch_id, done, count in db.session.execute(query)}
