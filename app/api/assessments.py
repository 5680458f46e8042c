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
    """What every branch's line of one indicator shares (its formula translated once, not per line)."""
    return {
        "indicator_id": indicator.id,
        "section": indicator.section.name,
        "name": indicator.name,
        "kind": indicator.kind,
        "formula": str(indicators.formula(indicator.kind)),
        "weight": float(indicator.weight),
    }


def _line_json(scheme, line, shared: dict) -> dict:
    evidence = []
    if line.manual_score_id:
        evidence.append(
            {
                "name": line.inputs.get("evidence_name", ""),
                "url": url_for("assessment.evidence", scheme_id=scheme.id, score_id=line.manual_score_id),
            }
        )
    return {
        **shared,
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
    shared: dict[int, dict] = {}

    def line_json(line) -> dict:
        indicator = line.indicator
        if indicator.id not in shared:
            shared[indicator.id] = _indicator_json(indicator)
        return _line_json(scheme, line, shared[indicator.id])

    return ok(
        {
            "scheme": _scheme_json(scheme),
            "branches": [
                {
                    "id": n.branch_id,
                    "name": n.name,
                    "kind": n.kind,
                    "members": n.members,
                    "total": float(n.total),
                    "indicators": [line_json(line) for line in n.lines],
                }
                for n in nodes
            ],
        }
    )
