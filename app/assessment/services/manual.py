"""Manual indicators scored by a coordinator (a mandatory comment and an evidence file), and the
committee's adjustments of any indicator's points, each with its reason and audited."""

from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.accounts.models import User
from app.assessment.models import Adjustment, BranchResult, Indicator, ManualScore, Result, SchemeStatus
from app.assessment.services.schemes import AssessmentError, _decimal, _require_admin
from app.core import audit, uploads
from app.core.clock import utcnow
from app.extensions import db
from app.org.models import Branch, BranchKind
from app.org.services import can_manage_branch

MAX_EVIDENCE_MB = 20
#: What the first bytes of an evidence file must be: PDF, PNG, JPEG, Office Open XML or legacy Office.
SIGNATURES = {
    b"%PDF-": "pdf",
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpg",
    b"PK\x03\x04": "zip",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "ole",
}


def upload_dir() -> Path:
    return Path(current_app.config["MEDIA_ROOT"]) / "assessment"


def evidence_path(score: ManualScore) -> Path:
    return upload_dir() / score.evidence_file


def _evidence_kind(head: bytes) -> str | None:
    return next((ext for magic, ext in SIGNATURES.items() if head.startswith(magic)), None)


def _save_evidence(stream) -> uploads.SavedUpload:
    limit = MAX_EVIDENCE_MB * 1024 * 1024
    try:
        return uploads.save_upload(stream, upload_dir(), max_bytes=limit, kind_of=_evidence_kind)
    except uploads.UploadRefused as exc:
        if exc.reason == uploads.EMPTY:
            raise AssessmentError(_("佐证材料是空文件。"), field="evidence") from exc
        if exc.reason == uploads.TOO_LARGE:
            raise AssessmentError(
                _("佐证材料不能超过 %(n)s MB。", n=MAX_EVIDENCE_MB), status=413, field="evidence"
            ) from exc
        raise AssessmentError(_("佐证材料只接受 PDF、图片或 Office 文件。"), field="evidence") from exc


def _check_branch(actor: User, indicator: Indicator, branch: Branch) -> None:
    if not can_manage_branch(actor, branch):
        raise AssessmentError(_("您只能为自己管理的组织评分。"), status=403)
    if branch.kind != BranchKind.BRANCH:
        raise AssessmentError(_("考核按党支部评分，请选择党支部。"))


def score_manual(
    actor: User, indicator: Indicator, branch: Branch, points, comment: str, evidence, evidence_name: str
) -> ManualScore:
    """Score a manual indicator for a 党支部 (replacing an earlier score) while the scheme runs."""
    _check_branch(actor, indicator, branch)
    scheme = indicator.section.scheme
    db.session.refresh(scheme, with_for_update=True)
    if scheme.status != SchemeStatus.RUNNING:
        raise AssessmentError(_("只有进行中的考核可以评分。"), status=409)
    if not indicator.is_manual:
        raise AssessmentError(_("该指标由系统根据数据计算，不能人工评分。"))
    points = _decimal(points, "points", Decimal(0), indicator.weight)
    comment = (comment or "").strip()
    if not comment:
        raise AssessmentError(_("请填写评语。"), field="comment")
    if len(comment) > 1000:
        raise AssessmentError(_("评语不能超过 1000 个字。"), field="comment")
    if evidence is None:
        raise AssessmentError(_("请上传佐证材料。"), field="evidence")
    saved = _save_evidence(evidence)
    score = (
        db.session.query(ManualScore).filter_by(indicator_id=indicator.id, branch_id=branch.id).one_or_none()
    )
    if score is None:
        score = ManualScore(indicator_id=indicator.id, branch_id=branch.id)
        db.session.add(score)
    elif score.evidence_file:
        uploads.remove_after_commit([evidence_path(score)])
    score.points, score.comment, score.scored_by_id, score.scored_at = points, comment, actor.id, utcnow()
    score.evidence_file, score.evidence_name = saved.name, (evidence_name or saved.name)[-200:]
    db.session.flush()
    audit.record(
        actor,
        "assessment.score",
        score,
        f"评分 {indicator.name}：{branch.name} {points} 分",
        {"comment": comment},
    )
    return score


def adjust_points(actor: User, indicator: Indicator, branch: Branch, delta, reason: str) -> Adjustment:
    """The committee changes an indicator's points for a 党支部 (before publishing), with a reason. On
    a frozen scheme the snapshot's adjustment and the branch's total change with it (and only them)."""
    _require_admin(actor)
    if branch.kind != BranchKind.BRANCH:
        raise AssessmentError(_("考核按党支部评分，请选择党支部。"))
    scheme = indicator.section.scheme
    db.session.refresh(scheme, with_for_update=True)
    if scheme.status not in (SchemeStatus.RUNNING, SchemeStatus.FROZEN):
        raise AssessmentError(_("考核结果已发布（或尚未开始），不能再调整。"), status=409)
    delta = _decimal(delta, "delta", -indicator.weight, indicator.weight)
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentError(_("请填写调整理由。"), field="reason")
    adjustment = (
        db.session.query(Adjustment).filter_by(indicator_id=indicator.id, branch_id=branch.id).one_or_none()
    )
    before = adjustment.delta if adjustment else Decimal(0)
    if adjustment is None:
        adjustment = Adjustment(indicator_id=indicator.id, branch_id=branch.id)
        db.session.add(adjustment)
    adjustment.delta, adjustment.reason = delta, reason[:500]
    adjustment.adjusted_by_id, adjustment.adjusted_at = actor.id, utcnow()
    if scheme.status == SchemeStatus.FROZEN:
        _adjust_snapshot(scheme.id, indicator, branch.id, delta)
    db.session.flush()
    audit.record(
        actor,
        "assessment.adjust",
        adjustment,
        f"调整 {indicator.name}：{branch.name} {before} → {delta} 分",
        {"reason": reason, "before": str(before), "after": str(delta)},
    )
    return adjustment


def _adjust_snapshot(scheme_id: int, indicator: Indicator, branch_id: int, delta: Decimal) -> None:
    result = (
        db.session.query(Result)
        .filter_by(scheme_id=scheme_id, branch_id=branch_id, indicator_id=indicator.id)
        .one()
    )
    total = db.session.query(BranchResult).filter_by(scheme_id=scheme_id, branch_id=branch_id).one()
    clamp = lambda points: min(max(points, Decimal(0)), indicator.weight)  # noqa: E731
    total.total += clamp(result.points + delta) - clamp(result.points + result.adjustment)
    result.adjustment = delta
