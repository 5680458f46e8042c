"""党小组 pages: a 党支部's groups and their members, kept by those who run the branch; registered
on the branchlife blueprint by :mod:`app.branchlife.views`."""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# redirect; import blocks alike too), kept apart: each names its own loader, service and words.

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.branchlife import services
from app.branchlife.forms import GroupForm
from app.branchlife.models import PartyGroup, PartyGroupMember
from app.core.errors import back_to
from app.core.forms import PageForm
from app.core.permissions import login_required
from app.extensions import db
from app.org.models import Branch, BranchKind


def _branch_run_by_me(branch_id: int) -> Branch:
    branch = db.session.get(Branch, branch_id)
    if branch is None or branch.kind != BranchKind.BRANCH:
        abort(404)
    if not services.can_plan(current_user, branch):
        abort(403)
    return branch


def _group_run_by_me(group_id: int) -> PartyGroup:
    group = db.session.get(PartyGroup, group_id)
    if group is None:
        abort(404)
    if not services.can_plan(current_user, group.branch):
        abort(403)
    return group


@login_required
def groups_page(branch_id: int):
    branch = _branch_run_by_me(branch_id)
    groups = services.groups_of(branch)
    members = db.session.scalars(
        sa.select(User)
        .where(User.branch_id == branch.id, User.is_active_account.is_(True))
        .order_by(User.employee_no)
    ).all()
    in_group = dict(
        db.session.execute(
            sa.select(PartyGroupMember.user_id, PartyGroupMember.group_id).where(
                PartyGroupMember.group_id.in_([g.id for g in groups])
            )
        ).all()
    )
    return render_template(
        "branchlife/groups.html",
        branch=branch,
        groups=groups,
        members=members,
        in_group=in_group,
        form=GroupForm(),
        action_form=PageForm(),
    )


@login_required
def create_group(branch_id: int):
    branch = _branch_run_by_me(branch_id)
    back = url_for("branchlife.groups", branch_id=branch.id)
    form = GroupForm()
    if not form.validate_on_submit():
        flash("；".join(str(e) for errors in form.errors.values() for e in errors), "danger")
        return redirect(back)
    with back_to(back):
        services.create_group(current_user, branch, form.name.data)
    db.session.commit()
    flash(_("党小组已设立。"), "success")
    return redirect(back)


@login_required
def group_members(group_id: int):
    group = _group_run_by_me(group_id)
    back = url_for("branchlife.groups", branch_id=group.branch_id)
    if not PageForm().validate_on_submit():
        return redirect(back)
    with back_to(back):
        services.set_group_members(current_user, group, request.form.getlist("member", type=int))
    db.session.commit()
    flash(_("党小组成员已保存。"), "success")
    return redirect(back)


@login_required
def delete_group(group_id: int):
    group = _group_run_by_me(group_id)
    back = url_for("branchlife.groups", branch_id=group.branch_id)
    if not PageForm().validate_on_submit():
        return redirect(back)
    with back_to(back):
        services.delete_group(current_user, group)
    db.session.commit()
    flash(_("党小组已撤销。"), "success")
    return redirect(back)
