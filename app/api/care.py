"""Hardship cases over the API: only for those who may see them (403 otherwise), every read audited."""

from flask import url_for
from flask_login import current_user

from app.api import bp, ok
from app.care import services
from app.care.models import HardshipCase
from app.extensions import db


def case_json(case: HardshipCase) -> dict:
    return {
        "id": case.id,
        "member": {"id": case.member.id, "name": case.member.name},
        "branch": {"id": case.branch.id, "name": case.branch.name},
        "kind": case.kind.value,
        "title": case.title,
        "description": case.description,
        "amount_needed": str(case.amount_needed) if case.amount_needed is not None else None,
        "status": case.status.value,
        "follow_up_on": case.follow_up_on.isoformat() if case.follow_up_on else None,
        "assistance": [
            {
                "kind": a.kind.value,
                "given_on": a.given_on.isoformat(),
                "amount": str(a.amount),
                "note": a.note,
            }
            for a in case.assistance
        ],
        "documents": [
            {
                "id": d.id,
                "filename": d.filename,
                "url": url_for("care.document", case_id=case.id, document_id=d.id),
            }
            for d in case.documents
        ],
    }


@bp.get("/care/cases/<int:case_id>")
def get_care_case(case_id: int):
    case = services.get_case_for(case_id, current_user)
    services.record_view(current_user, case)
    db.session.commit()
    return ok(case_json(case))
