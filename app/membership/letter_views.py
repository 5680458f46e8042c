"""Pages of transfers to and from outside the organisation: the 介绍信, its 回执, incoming letters."""

import sqlalchemy as sa
from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.core.errors import back_to
from app.core.pdf import download as pdf_download
from app.core.permissions import login_required
from app.extensions import db
from app.membership import pdf
from app.membership.forms import IncomingForm, LetterForm, ReceiptForm
from app.membership.services import letters
from app.membership.services.access import load_member, may_keep_file
from app.membership.services.transfers import TransferError, speaks_for
from app.org.models import Branch, BranchKind


def register(bp) -> None:
    bp.add_url_rule("/members/<int:member_id>/letters", "issue_letter", issue_letter, methods=["POST"])
    bp.add_url_rule("/letters/incoming", "accept_incoming", accept_incoming, methods=["POST"])
    bp.add_url_rule("/letters/<int:letter_id>", "letter", letter)
    bp.add_url_rule("/letters/<int:letter_id>/pdf", "letter_pdf", letter_pdf)
    bp.add_url_rule("/letters/<int:letter_id>/receipt", "record_receipt", record_receipt, methods=["POST"])


def receiving_branches(actor: User) -> list[tuple[int, str]]:
    """党支部 the actor may accept members into."""
    rows = db.session.scalars(sa.select(Branch).where(Branch.kind == BranchKind.BRANCH).order_by(Branch.path))
    return [(b.id, b.name) for b in rows if speaks_for(actor, b)]


@login_required
def issue_letter(member_id: int):
    member = load_member(member_id, current_user, may_keep_file)
    form = LetterForm()
    with back_to(url_for("membership.archive", member_id=member.id)):
        if not form.validate_on_submit():
            raise TransferError(_("请填写接收党组织和转接原因"), field="outside_org")
        item = letters.issue_letter(current_user, member, form.outside_org.data, form.reason.data)
    db.session.commit()
    return redirect(url_for("membership.letter", letter_id=item.id))


@login_required
def accept_incoming():
    form = IncomingForm()
    form.to_branch_id.choices = receiving_branches(current_user)
    with back_to(url_for("membership.transfer_list")):
        if not form.validate_on_submit():
            raise TransferError(
                _("请填写工号、转入党支部、转出党组织、介绍信编号和原因"), field="employee_no"
            )
        member = db.session.scalar(sa.select(User).where(User.employee_no == form.employee_no.data.strip()))
        if member is None:
            raise TransferError(_("没有这个工号的账户，请先由管理员创建账户"), field="employee_no")
        item = letters.accept_incoming(
            current_user, member, db.session.get(Branch, form.to_branch_id.data), form.outside_org.data,
            form.letter_no.data, form.reason.data,
        )  # fmt: skip
    db.session.commit()
    return redirect(url_for("membership.letter", letter_id=item.id))


@login_required
def letter(letter_id: int):
    item = letters.load_letter(letter_id, current_user)
    may_record = item.receipt_on is None and speaks_for(current_user, item.branch)
    return render_template(
        "membership/letter.html", letter=item, may_record=may_record, form=ReceiptForm(formdata=None)
    )


@login_required
def letter_pdf(letter_id: int):
    item = letters.load_letter(letter_id, current_user)
    return pdf_download(pdf.letter_pdf(item), f"letter-{item.letter_no or item.id}.pdf")


@login_required
def record_receipt(letter_id: int):
    item = letters.load_letter(letter_id, current_user)
    form = ReceiptForm()
    with back_to(url_for("membership.letter", letter_id=item.id)):
        if not form.validate_on_submit():
            raise TransferError(_("请填写回执日期（YYYY-MM-DD）"), field="received_on")
        letters.record_receipt(current_user, item, form.received_on.data, form.note.data)
    db.session.commit()
    return redirect(url_for("membership.letter", letter_id=item.id))
