"""Member lifecycle pages: the coordinator's board, a person's development file, the QR card and
the scan page, transfers."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from app.accounts.models import MemberCategory, User
from app.core.errors import DomainError, back_to, refused
from app.core.headers import allows_camera
from app.core.permissions import login_required
from app.core.urls import id_from
from app.extensions import db
from app.membership import archive_views, letter_views, photo_views, rules
from app.membership.forms import IncomingForm, PhotoForm, RejectForm, ScanForm, StepForm, TransferForm
from app.membership.services import baseline, cards, letters, photos, transfers
from app.membership.services import development as dev
from app.membership.services.access import load_member, manages, may_keep_file, may_scan, may_see_file
from app.org.models import Branch, BranchKind
from app.org.services import members_query, scope_path

bp = Blueprint("membership", __name__, url_prefix="/membership")
archive_views.register(bp)
letter_views.register(bp)
photo_views.register(bp)


@bp.route("/")
@login_required
def board():
    if scope_path(current_user) is None:
        raise Forbidden()
    groups = dev.board(members_query(current_user))
    return render_template("membership/board.html", groups=groups, stage_labels=rules.STAGE_LABELS)


@bp.route("/members/<int:member_id>/development")
@login_required
def development(member_id: int):
    member = load_member(member_id, current_user, may_see_file)
    return _render_file(member, StepForm(formdata=None)), 200


def _render_file(member: User, form: StepForm):
    timeline = dev.build_timeline(member)
    if not form.key.data and timeline.next_row is not None:
        form.key.data = timeline.next_row.step.key
    form.contacts.choices = _contact_choices(member)
    return render_template(
        "membership/development.html",
        member=member,
        timeline=timeline,
        form=form,
        may_record=may_keep_file(current_user, member),
        may_override=manages(current_user, member),
        stage_labels=rules.STAGE_LABELS,
        responsible=rules.RESPONSIBLE_LABELS,
        contacts=dev.contacts_of([member.id]).get(member.id, []),
        baselines=baseline.baselines_of(member.id),
    )


def _users(ids) -> list[User]:
    return [u for i in ids or [] if id_from(i) and (u := db.session.get(User, i)) is not None]


def _contact_choices(member: User) -> list[tuple[int, str]]:
    full = (
        db.session.scalars(
            sa.select(User)
            .where(
                User.branch_id == member.branch_id, User.category == MemberCategory.FULL, User.id != member.id
            )
            .order_by(User.name)
        )
        if member.branch_id
        else []
    )
    return [(u.id, u.name) for u in full]


@bp.route("/members/<int:member_id>/development/steps", methods=["POST"])
@login_required
def record_step(member_id: int):
    member = load_member(member_id, current_user, may_keep_file)
    form = StepForm()
    if form.validate_on_submit():
        try:
            dev.record_step(
                current_user,
                member,
                form.key.data,
                form.done_on.data,
                form.note.data,
                form.votes_for.data,
                form.votes_present.data,
                form.override_reason.data,
                _users(form.contacts.data),
            )
        except DomainError as exc:
            return _render_file(member, form), refused(exc, form, field="key")
        db.session.commit()
        flash(_("已记录。"), "success")
        return redirect(url_for("membership.development", member_id=member.id))
    return _render_file(member, form), 422


@bp.route("/card")
@login_required
def my_card():
    payload = cards.issue_card(current_user)
    return render_template(
        "membership/card.html",
        member=current_user,
        payload=payload,
        svg=cards.card_svg(payload),
        has_photo=photos.photo_of(current_user.id) is not None,
        photo_form=PhotoForm(formdata=None),
    )


@bp.route("/scan", methods=["GET", "POST"])
@allows_camera
@login_required
def scan():
    if not may_scan(current_user):
        raise Forbidden()
    form, card, status = ScanForm(), None, 200
    if form.validate_on_submit():
        try:
            card = cards.verify_card(form.payload.data)
        except cards.CardRefused as exc:
            status = refused(exc, form)
    elif form.is_submitted():
        status = 422
    branch = current_user.branch
    may_receive = card is not None and branch is not None and branch.kind == BranchKind.BRANCH
    may_receive = (
        may_receive and card.member.branch_id != branch.id and transfers.speaks_for(current_user, branch)
    )
    photo_url = card and photos.scan_photo_url(current_user, card.member)
    return render_template(
        "membership/scan.html", form=form, card=card, may_receive=may_receive, photo_url=photo_url
    ), status


def _branch_choices() -> list[tuple[int, str]]:
    rows = db.session.scalars(sa.select(Branch).where(Branch.kind == BranchKind.BRANCH).order_by(Branch.path))
    return [(b.id, b.name) for b in rows]


@bp.route("/transfers")
@login_required
def transfer_list():
    page = db.paginate(transfers.transfers_query(current_user), per_page=20, error_out=False)
    form = TransferForm(formdata=None)
    form.to_branch_id.choices = _branch_choices()
    incoming = IncomingForm(formdata=None)
    incoming.to_branch_id.choices = letter_views.receiving_branches(current_user)
    return render_template(
        "membership/transfers.html",
        page=page,
        form=form,
        incoming=incoming,
        letters=list(db.session.scalars(letters.letters_query(current_user).limit(50))),
    )


@bp.route("/transfers", methods=["POST"])
@login_required
def request_transfer():
    member_id = request.form.get("member_id", current_user.id)
    member = load_member(member_id, current_user, lambda actor, m: True)
    form = TransferForm()
    form.to_branch_id.choices = _branch_choices()
    with back_to(url_for("membership.transfer_list")):
        if not form.validate_on_submit():
            raise transfers.TransferError(_("请选择转入的党支部并填写转接原因"))
        to_branch = db.session.get(Branch, form.to_branch_id.data)
        transfers.request_transfer(current_user, member, to_branch, form.reason.data)
    db.session.commit()
    flash(_("已提交组织关系转接申请。"), "success")
    return redirect(url_for("membership.transfer_list"))


@bp.route("/transfers/<int:transfer_id>/approve", methods=["POST"])
@login_required
def approve_transfer(transfer_id: int):
    transfer = transfers.load_transfer(transfer_id, current_user)
    with back_to(url_for("membership.transfer_list")):
        transfers.approve_transfer(current_user, transfer)
    db.session.commit()
    flash(_("已同意。"), "success")
    return redirect(url_for("membership.transfer_list"))


# Alike in shape to approve_transfer, kept apart: a rejection carries its reason through a form.
@bp.route("/transfers/<int:transfer_id>/reject", methods=["POST"])
@login_required
def reject_transfer(transfer_id: int):
    transfer = transfers.load_transfer(transfer_id, current_user)
    form = RejectForm()
    with back_to(url_for("membership.transfer_list")):
        transfers.reject_transfer(
            current_user, transfer, form.reason.data if form.validate_on_submit() else ""
        )
    db.session.commit()
    flash(_("已退回。"), "success")
    return redirect(url_for("membership.transfer_list"))
