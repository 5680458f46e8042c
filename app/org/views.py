"""The branch tree: admins edit it, coordinators browse their own subtree."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import CATEGORY_LABELS, Role
from app.core.errors import back_to, refused
from app.core.permissions import roles_required
from app.extensions import db
from app.org import services
from app.org.forms import BranchForm
from app.org.models import Branch

bp = Blueprint("org", __name__, url_prefix="/org")


@bp.route("/branches")
@roles_required(Role.COORDINATOR)
def branches():
    summary = services.branch_member_counts(current_user)
    return render_template("org/branches.html", summary=summary, categories=CATEGORY_LABELS)


def _parent_choices(exclude: Branch | None = None) -> list[tuple[int, str]]:
    choices = [(0, _("（无，顶级组织）"))]
    for b in services.ordered_tree(services.branch_tree()):
        if exclude is not None and exclude.contains(b):
            continue
        choices.append((b.id, "　" * b.depth + b.name))
    return choices


def _parent_from(form: BranchForm) -> Branch | None:
    return db.session.get(Branch, form.parent_id.data) if form.parent_id.data else None


def _set_location(branch: Branch, form: BranchForm) -> None:
    services.set_branch_location(
        branch,
        form.address.data,
        form.latitude.data,
        form.longitude.data,
        form.contact_phone.data,
        actor=current_user,
    )


@bp.route("/branches/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create_branch():
    form = BranchForm()
    form.parent_id.choices = _parent_choices()
    if not form.is_submitted():
        form.parent_id.data = request.args.get("parent", 0, type=int)
        form.kind.data = "branch"
    if form.validate_on_submit():
        try:
            branch = services.create_branch(
                form.name.data, form.kind.data, _parent_from(form), actor=current_user
            )
            _set_location(branch, form)
        except services.BranchError as exc:
            refused(exc, form, field="name")
        else:
            db.session.commit()
            flash(_("已创建组织「%(name)s」。", name=branch.name), "success")
            return redirect(url_for("org.branches"))
    return render_template(
        "org/branch_form.html", form=form, branch=None
    ), 200 if request.method == "GET" else 422


# This and create_branch follow the common view shape (service, refused, commit, flash), as
# accounts' user, kb's category, qa's and quiz's forms do: alike in shape only.
@bp.route("/branches/<int:branch_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_branch(branch_id: int):
    branch = services.get_branch_for(branch_id, current_user)
    form = BranchForm(obj=branch)
    form.parent_id.choices = _parent_choices(exclude=branch)
    if not form.is_submitted():
        form.parent_id.data = branch.parent_id or 0
        form.kind.data = branch.kind.value
    if form.validate_on_submit():
        try:
            services.update_branch(
                branch, form.name.data, form.kind.data, _parent_from(form), actor=current_user
            )
            _set_location(branch, form)
        except services.BranchError as exc:
            refused(exc, form, field="name")
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("org.branches"))
    return render_template(
        "org/branch_form.html", form=form, branch=branch
    ), 200 if request.method == "GET" else 422


@bp.route("/branches/<int:branch_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def delete_branch(branch_id: int):
    branch = services.get_branch_for(branch_id, current_user)
    with back_to(url_for("org.branches")):
        services.delete_branch(branch, actor=current_user)
    db.session.commit()
    flash(_("已删除组织。"), "success")
    return redirect(url_for("org.branches"))
