"""The bulk member import: upload, progress, the one-time activation slips, the template."""

# Views alike in shape to other views by design, kept apart: see this package's docstring.

import io

from flask import (
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from app.accounts import jobs
from app.accounts.forms import (
    ImportForm,
)
from app.accounts.importing import ImportFileError, create_import_job, reveal_import_slips, template_workbook
from app.accounts.models import ImportJob, Role
from app.accounts.tasks import import_members_task
from app.accounts.views import bp
from app.accounts.views.users import activation_slips
from app.core import imports
from app.core.errors import refused
from app.core.permissions import roles_required
from app.extensions import db


@bp.route("/users/import", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def import_users():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            job = create_import_job(
                upload.stream, upload.filename or "upload", current_user, current_app.config["IMPORT_DIR"]
            )
        except ImportFileError as exc:
            refused(exc, form, field="file")
        else:
            # Keep the id before committing: reading ``job.id`` afterwards would open a new transaction
            # that an eager (inline) task on SQLite would then wait on for the database lock.
            job_id = job.id
            db.session.commit()
            import_members_task.delay(job_id)
            return redirect(url_for("accounts.import_status", job_id=job_id))
    recent = ImportJob.recent_of(current_user, "members")
    status = 422 if form.errors else 200
    return render_template("accounts/import.html", form=form, recent=recent), status


@bp.route("/users/import/<int:job_id>")
@roles_required(Role.COORDINATOR)
def import_status(job_id: int):
    job = jobs.get_job_for(job_id, "members", current_user)
    return imports.job_page(job, "accounts/import_status.html")


@bp.route("/users/import/<int:job_id>/slips", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def import_slips(job_id: int):
    """Activation slips of an import: shown once, to the coordinator who ran it, then gone."""
    job = jobs.get_job_for(job_id, "members", current_user, admins_too=False)
    if request.method == "POST" and job.slip_secret is not None:
        slips = reveal_import_slips(job, actor=current_user)
        db.session.commit()
        return activation_slips(slips, back=url_for("accounts.import_status", job_id=job.id), job=job)
    return render_template("accounts/import_slips.html", job=job)


@bp.route("/users/import/template.xlsx")
@roles_required(Role.COORDINATOR)
def import_template():
    return send_file(
        io.BytesIO(template_workbook()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name="成员导入模板.xlsx",
    )
