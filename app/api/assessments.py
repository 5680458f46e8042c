"""党建考核 over the API: the schemes the caller may see, and a subtree's or a 党支部's scores with
each indicator's value, points and evidence links (scoped as the pages are)."""

from flask import request, url_for
from flask_login import current_user

from app.api import bp, ok
from app.assessment import indicators, services
from app.assessment.services.schemes import branch_in_scope


def _scheme_json(scheme) -> dict:
    return {
        "id": scheme.id,
        "name": scheme.name,
        "year": scheme.year,
        "half": scheme.half,
        "status": str(scheme.status),
        "max_points": float(scheme.total_weight),
        "rollup": "member_weighted_mean",
    }


def _indicator_json(indicator) -> dict:
    """An indicator, described once per answer: its lines name it by ``indicator_id`` (repeating the
    formula in each of 3,000 branches' lines made the whole organisation's answer 11.7 MB)."""
    return {
        "id": indicator.id,
        "section": indicator.section.name,
        "name": indicator.name,
        "kind": indicator.kind,
        "formula": str(indicators.formula(indicator.kind)),
        "weight": float(indicator.weight),
    }


def _line_json(scheme, line) -> dict:
    evidence = []
    if line.manual_score_id:
        evidence.append(
            {
                "name": line.inputs.get("evidence_name", ""),
                "url": url_for("assessment.evidence", scheme_id=scheme.id, score_id=line.manual_score_id),
            }
        )
    return {
        "indicator_id": line.indicator.id,
        "value": float(line.value) if line.value is not None else None,
        "inputs": {k: v for k, v in line.inputs.items() if k in ("numerator", "denominator", "comment")},
        "points": float(line.points),
        "adjustment": float(line.adjustment),
        "final_points": float(line.final),
        "note": line.note,
        "evidence": evidence,
    }


@bp.get("/assessments")
def assessments():
    return ok([_scheme_json(s) for s in services.schemes_for(current_user)])


@bp.get("/assessments/<int:scheme_id>/scores")
def assessment_scores(scheme_id: int):
    """Without ``branch_id``: every node of the caller's scope; with it, that node's subtree. Each
    党支部 carries its indicators; 党总支 and 党委 their member-weighted mean."""
    scheme = services.get_scheme_for(scheme_id, current_user)
    prefix = services.scope_for(current_user, scheme)
    branch_id = request.args.get("branch_id", type=int)
    if "branch_id" in request.args and branch_id is None:
        branch_id = 0  # an unreadable id is no branch: 404, not the whole scope
    if branch_id is not None:
        prefix = branch_in_scope(branch_id, prefix).path
    nodes = services.scores_for(scheme, prefix)
    return ok(
        {
            "scheme": _scheme_json(scheme),
            "indicators": [_indicator_json(i) for i in scheme.indicators],
            "branches": [
                {
                    "id": n.branch_id,
                    "name": n.name,
                    "kind": n.kind,
                    "members": n.members,
                    "total": float(n.total),
                    "indicators": [_line_json(scheme, line) for line in n.lines],
                }
                for n in nodes
            ],
        }
    )
