"""Defining a scheme (sections, indicators, their weights and rules) and who may see what.

Who: admins (the committee) define, adjust, freeze and publish; a coordinator sees and scores the
branches of their subtree; a member sees their own 党支部's result once it is published.
"""

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import User
from app.assessment import indicators
from app.assessment.models import Indicator, Scheme, SchemeStatus, Section
from app.core import audit
from app.core.errors import DomainError
from app.core.urls import id_from
from app.extensions import db
from app.org.models import Branch
from app.org.services import scope_path

MAX_WEIGHT = Decimal(100)


class AssessmentError(DomainError):
    """A refusal of the assessment, in the user's language."""


def can_define(user: User) -> bool:
    return user.is_admin


def can_score(user: User, scheme: Scheme, branch: Branch) -> bool:
    """Coordinators (and admins) score the manual indicators of the 党支部 they manage while it runs."""
    prefix = scope_path(user)
    return (
        scheme.status == SchemeStatus.RUNNING
        and branch.kind == "branch"
        and prefix is not None
        and branch.path.startswith(prefix)
    )


def scope_for(user: User, scheme: Scheme) -> str | None:
    """The subtree of ``scheme``'s results ``user`` may see: ``""`` all, a path, or None (nothing)."""
    prefix = scope_path(user)
    if prefix is not None:
        return prefix if (scheme.status != SchemeStatus.DRAFT or user.is_admin) else None
    if scheme.status == SchemeStatus.PUBLISHED and user.branch is not None:
        return user.branch.path
    return None


def get_scheme_for(scheme_id, user: User) -> Scheme:
    """404 when there is no such scheme, 403 when ``user`` may see none of it."""
    scheme = db.session.get(Scheme, scheme_id) if id_from(scheme_id) else None
    if scheme is None:
        raise NotFound()
    if scope_for(user, scheme) is None:
        raise Forbidden()
    return scheme


def schemes_for(user: User) -> list[Scheme]:
    """The schemes ``user`` may see, newest first, with their sections and indicators loaded in two
    more queries (a list shows each scheme's total weight)."""
    query = (
        sa.select(Scheme)
        .options(sa.orm.selectinload(Scheme.sections).selectinload(Section.indicators))
        .order_by(Scheme.year.desc(), Scheme.half.desc(), Scheme.id.desc())
    )
    if not user.is_admin:
        shown = [SchemeStatus.PUBLISHED]
        if scope_path(user) is not None:
            shown += [SchemeStatus.RUNNING, SchemeStatus.FROZEN]
        query = query.where(Scheme.status.in_(shown))
    return list(db.session.scalars(query))


def _require_admin(actor: User) -> None:
    if not can_define(actor):
        raise AssessmentError(_("只有管理员（党委）可以设置考核方案。"), status=403)


def _require_draft(scheme: Scheme) -> None:
    if scheme.status != SchemeStatus.DRAFT:
        raise AssessmentError(_("考核已开始，不能再修改指标。"), status=409)


def _text(value: str, field: str, limit: int = 100) -> str:
    value = (value or "").strip()
    if not value:
        raise AssessmentError(_("请填写名称。"), field=field)
    if len(value) > limit:
        raise AssessmentError(_("名称不能超过 %(n)s 个字。", n=limit), field=field)
    return value


def create_scheme(actor: User, name: str, year: int, half: int | None) -> Scheme:
    _require_admin(actor)
    if not 2000 <= (year or 0) <= 2100:
        raise AssessmentError(_("请填写正确的年度。"), field="year")
    if half not in (None, 1, 2):
        raise AssessmentError(_("考核周期只能是全年、上半年或下半年。"), field="half")
    scheme = Scheme(name=_text(name, "name"), year=year, half=half, created_by_id=actor.id)
    db.session.add(scheme)
    db.session.flush()
    audit.record(actor, "assessment.create", scheme, f"创建考核方案 {scheme.name}")
    return scheme


def add_section(actor: User, scheme: Scheme, name: str) -> Section:
    _require_admin(actor)
    _require_draft(scheme)
    section = Section(scheme=scheme, name=_text(name, "name"), position=len(scheme.sections))
    db.session.add(section)
    db.session.flush()
    audit.record(actor, "assessment.section", scheme, f"添加考核板块 {section.name}")
    return section


def _decimal(value, field: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise AssessmentError(_("请填写数字。"), field=field) from None
    if not number.is_finite() or not low <= number <= high:
        raise AssessmentError(_("数值应在 %(low)s 到 %(high)s 之间。", low=low, high=high), field=field)
    return number


def add_indicator(
    actor: User, section: Section, name: str, kind: str, weight, floor=0, target=1
) -> Indicator:
    """A computed indicator (``kind`` a key of :data:`indicators.KINDS`) or a manual one; its points
    run linearly from 0 at ``floor`` to ``weight`` at ``target`` (shares between 0 and 1)."""
    _require_admin(actor)
    _require_draft(section.scheme)
    if kind != indicators.MANUAL and kind not in indicators.KINDS:
        raise AssessmentError(_("未知的指标类型。"), field="kind")
    weight = _decimal(weight, "weight", Decimal("0.5"), MAX_WEIGHT)
    floor = _decimal(floor, "floor", Decimal(0), Decimal(1))
    target = _decimal(target, "target", Decimal(0), Decimal(1))
    if target <= floor:
        raise AssessmentError(_("满分值必须大于零分值。"), field="target")
    indicator = Indicator(
        section=section,
        name=_text(name, "name"),
        kind=kind,
        weight=weight,
        floor=floor,
        target=target,
        position=len(section.indicators),
    )
    db.session.add(indicator)
    db.session.flush()
    audit.record(actor, "assessment.indicator", section.scheme, f"添加考核指标 {indicator.name}")
    return indicator


def start_scheme(actor: User, scheme: Scheme) -> Scheme:
    _require_admin(actor)
    _require_draft(scheme)
    if not scheme.indicators:
        raise AssessmentError(_("请先添加至少一项指标。"))
    scheme.status = SchemeStatus.RUNNING
    db.session.flush()
    audit.record(actor, "assessment.start", scheme, f"开始考核 {scheme.name}")
    return scheme


def branch_in_scope(branch_id, prefix: str) -> Branch:
    """A 党支部 (or any node) inside ``prefix``: 404 when missing, 403 outside."""
    branch = db.session.get(Branch, branch_id) if id_from(branch_id) else None
    if branch is None:
        raise NotFound()
    if not branch.path.startswith(prefix):
        raise Forbidden()
    return branch
