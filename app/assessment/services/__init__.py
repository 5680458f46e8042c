"""Assessment services: ``schemes`` (define, start, access), ``scoring`` (compute, roll up, freeze,
publish), ``manual`` (coordinators' scores with evidence, the committee's adjustments)."""

from app.assessment.services.manual import adjust_points, evidence_path, score_manual
from app.assessment.services.schemes import (
    AssessmentError,
    add_indicator,
    add_section,
    can_define,
    can_score,
    create_scheme,
    get_scheme_for,
    schemes_for,
    scope_for,
    start_scheme,
)
from app.assessment.services.scoring import (
    BranchScore,
    Line,
    branch_detail,
    freeze_scheme,
    publish_scheme,
    scores_for,
)

__all__ = [
    "AssessmentError",
    "BranchScore",
    "Line",
    "add_indicator",
    "add_section",
    "adjust_points",
    "branch_detail",
    "can_define",
    "can_score",
    "create_scheme",
    "evidence_path",
    "freeze_scheme",
    "get_scheme_for",
    "publish_scheme",
    "schemes_for",
    "scope_for",
    "score_manual",
    "scores_for",
    "start_scheme",
]
