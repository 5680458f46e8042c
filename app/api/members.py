"""The member lifecycle over the API: development timelines and steps, transfers, QR cards."""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# redirect; import blocks alike too), kept apart: each names its own loader, service and words.

from datetime import date

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.api import ApiError, bp, ok
from app.core.urls import id_from
from app.extensions import db
from app.membership.models import Transfer
from app.membership.services import archive, cards, photos, transfers
from app.membership.services import development as dev
from app.membership.services.access import load_member, may_keep_file, may_scan, may_see_file
from app.org.models import Branch


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(_("请求体须为 JSON 对象"))
    return body


def _text(body: dict, name: str) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(_("%(name)s 须为字符串", name=name), field=name)
    return value


def _count(body: dict, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
        raise ApiError(_("%(name)s 须为 0–100000 的整数", name=name), field=name)
    return value


def _contacts(body: dict) -> list[User]:
    ids = body.get("contacts") or []
    if not isinstance(ids, list) or len(ids) > 2 or not all(id_from(i) for i in ids):
        raise ApiError(_("contacts 须为两名培养联系人的 id"), field="contacts")
    return [u for i in ids if (u := db.session.get(User, id_from(i))) is not None]


def timeline_json(timeline: dev.Timeline) -> dict:
    return {
        "member_id": timeline.member.id,
        "stage": timeline.stage,
        "steps": [
            {
                "key": row.step.key,
                "label": str(row.step.label),
                "stage": row.step.stage,
                "done_on": row.done.done_on.isoformat() if row.done else None,
                "due_on": row.due_on.isoformat() if row.due_on else None,
                "allowed_from": row.allowed_from.isoformat() if row.allowed_from else None,
                "overdue": row.overdue,
                "rule": row.rule or None,
                "responsible": row.step.responsible,
                "override_reason": row.done.override_reason if row.done and row.done.override_rules else None,
            }
            for row in timeline.rows
        ],
    }


@bp.get("/members/<int:member_id>/development")
def member_development(member_id: int):
    member = load_member(member_id, current_user, may_see_file)
    return ok(timeline_json(dev.build_timeline(member)))


@bp.post("/members/<int:member_id>/development/steps")
def record_development_step(member_id: int):
    member = load_member(member_id, current_user, may_keep_file)
    body = _body()
    try:
        done_on = date.fromisoformat(_text(body, "done_on"))
    except ValueError:
        raise ApiError(_("请填写完成日期（YYYY-MM-DD）"), field="done_on") from None
    try:
        step = dev.record_step(
            current_user,
            member,
            _text(body, "key"),
            done_on,
            _text(body, "note"),
            _count(body, "votes_for"),
            _count(body, "votes_present"),
            _text(body, "override_reason"),
            _contacts(body),
        )
    except dev.RuleBroken as exc:
        db.session.rollback()
        errors = [
            {"message": b.message, "rule": b.rule.key, "rule_name": str(b.rule.name)} for b in exc.broken
        ]
        response = jsonify({"success": False, "errors": errors})
        response.status_code = 422
        return response
    db.session.commit()
    return ok(
        {"key": step.key, "done_on": step.done_on.isoformat(), "overridden": bool(step.override_rules)}, 201
    )


def transfer_json(t: Transfer) -> dict:
    return {
        "id": t.id,
        "member_id": t.member_id,
        "from_branch_id": t.from_branch_id,
        "to_branch_id": t.to_branch_id,
        "status": t.status.value,
        "reason": t.reason,
        "sender_approved": t.sender_approved_at is not None,
        "receiver_approved": t.receiver_approved_at is not None,
        "reject_reason": t.reject_reason or None,
    }


@bp.post("/transfers")
def create_transfer():
    body = _body()
    member = load_member(body.get("member_id"), current_user, lambda actor, m: True)
    branch_id = id_from(body.get("to_branch_id"))
    to_branch = db.session.get(Branch, branch_id) if branch_id else None
    transfer = transfers.request_transfer(current_user, member, to_branch, _text(body, "reason"))
    db.session.commit()
    return ok(transfer_json(transfer), 201)


@bp.get("/transfers/<int:transfer_id>")
def get_transfer(transfer_id: int):
    return ok(transfer_json(transfers.load_transfer(transfer_id, current_user)))


@bp.post("/transfers/<int:transfer_id>/approve")
def approve_transfer(transfer_id: int):
    transfer = transfers.approve_transfer(current_user, transfers.load_transfer(transfer_id, current_user))
    db.session.commit()
    return ok(transfer_json(transfer))


@bp.post("/transfers/<int:transfer_id>/reject")
def reject_transfer(transfer_id: int):
    transfer = transfers.load_transfer(transfer_id, current_user)
    transfer = transfers.reject_transfer(current_user, transfer, _text(_body(), "reason"))
    db.session.commit()
    return ok(transfer_json(transfer))


@bp.get("/members/<int:member_id>/card")
def member_card(member_id: int):
    member = load_member(member_id, current_user, may_see_file)
    payload = cards.issue_card(member)
    return ok({"payload": payload, "svg": cards.card_svg(payload)})


@bp.post("/cards/verify")
def verify_card():
    if not may_scan(current_user):
        raise ApiError(_("只有党务工作者可以核验名片"), 403)
    card = cards.verify_card(_text(_body(), "payload"))
    member = card.member
    return ok(
        {
            "id": member.id,
            "name": member.name,
            "branch": {"id": member.branch.id, "name": member.branch.name} if member.branch else None,
            "category": member.category.value if member.category else None,
            "issued_on": card.issued_on.isoformat(),
            "photo_url": photos.scan_photo_url(current_user, member),
        }
    )


@bp.get("/members/<int:member_id>/archive")
def member_archive(member_id: int):
    member = load_member(member_id, current_user, may_see_file)
    contents = archive.open_archive(current_user, member)
    db.session.commit()  # the view is on record
    return ok(
        {
            "member_id": member.id,
            "documents": [
                {"id": d.id, "kind": d.kind.value, "filename": d.filename, "step": d.step_key or None}
                for d in contents["documents"]
            ],
            "entries": [
                {"kind": e.kind.value, "occurred_on": e.occurred_on.isoformat(), "title": e.title}
                for e in contents["entries"]
            ],
            "access": [
                {"action": a.action, "actor_id": a.actor_id, "at": a.occurred_at.isoformat()}
                for a in archive.access_log(member)
            ],
        }
    )
