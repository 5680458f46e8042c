"""PDF certificates (a course's 结业证书, a year's 学时证明, a branch's bundle) and the public page
that verifies one by its serial.

The PDF routes add to records' blueprint; the verification page is its own blueprint at ``/verify``,
open to anyone (the QR code on the paper leads there): it shows the facts with the name masked, or
says the serial is unknown (404) or the certificate revoked. Serials carry 100 random bits, which is
what protects it from enumeration; no login, no rate limit needed.
"""

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import jobs
from app.accounts.models import ImportJob, Role
from app.core import audit, imports
from app.core.clock import localtoday
from app.core.forms import PageForm
from app.core.pdf import download as pdf_download
from app.core.permissions import login_required, roles_required
from app.core.urls import absolute_url, site_url
from app.extensions import db
from app.org import services as org_services
from app.org.models import Branch
from app.records import certificate_pdf, certificates, proof_exports, tasks
from app.records.views import bp

verify_bp = Blueprint("verify", __name__)


def _verify_url(serial: str) -> str:
    return absolute_url("verify.verify", serial=serial)


def _checked_year(year: int) -> int:
    if not 2000 <= year <= localtoday().year:
        abort(404)
    return year


@bp.route("/members/<int:user_id>/certificates/<int:course_id>.pdf")
@login_required
def course_certificate_pdf(user_id: int, course_id: int):
    """A member's own certificate, or one a coordinator of their subtree prints (403 otherwise)."""
    member = org_services.get_member_for(user_id, current_user)
    certificate = certificates.issue_course_certificate(member, course_id)
    db.session.commit()
    body = certificate_pdf.render([certificate], _verify_url, certificate.title)
    return pdf_download(body, certificate_pdf.filename(certificate))


@bp.route("/members/<int:user_id>/proof/<int:year>.pdf")
@login_required
def annual_proof_pdf(user_id: int, year: int):
    member = org_services.get_member_for(user_id, current_user)
    certificate = certificates.issue_annual_proof(member, _checked_year(year))
    db.session.commit()
    body = certificate_pdf.render([certificate], _verify_url, certificate.title)
    return pdf_download(body, certificate_pdf.filename(certificate))


@bp.route("/branches/<int:branch_id>/proof/<int:year>.zip")
@roles_required(Role.COORDINATOR)
def branch_proofs_zip(branch_id: int, year: int):
    """The old address of the bundle, which was rendered inside the request: now made in the
    background, from the page it leads to."""
    branch = org_services.get_branch_for(branch_id, current_user)
    return redirect(url_for("records.branch_proofs_export", branch_id=branch.id, year=_checked_year(year)))


@bp.route("/branches/<int:branch_id>/proof/<int:year>/export", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def branch_proofs_export(branch_id: int, year: int):
    """Every member's 学时证明 of the branch's subtree in one ZIP, made by a worker: the button queues
    it, the job's page shows the progress and then the download."""
    branch = org_services.get_branch_for(branch_id, current_user)
    year = _checked_year(year)
    form = PageForm()
    if form.validate_on_submit():
        job = proof_exports.create_proof_export(branch, year, current_user, site_url())
        # Keep the id before committing: reading ``job.id`` afterwards would open a new transaction
        # that an eager (inline) task on SQLite would then wait on for the database lock.
        job_id = job.id
        db.session.commit()
        tasks.export_branch_proofs.delay(job_id)
        return redirect(url_for("records.proof_export", job_id=job_id))
    recent = proof_exports.recent_proof_exports(current_user, branch, year)
    return render_template(
        "records/proof_export_start.html", branch=branch, year=year, form=form, recent=recent
    )


def _get_proof_export(job_id: int) -> ImportJob:
    """The export, for the coordinator who asked for it while the branch is still theirs to manage."""
    job = jobs.get_job_for(job_id, proof_exports.KIND, current_user, admins_too=False)
    org_services.get_branch_for(job.params.get("branch_id") or 0, current_user)
    return job


@bp.route("/proof-exports/<int:job_id>")
@roles_required(Role.COORDINATOR)
def proof_export(job_id: int):
    job = _get_proof_export(job_id)
    hours = current_app.config["PROOF_EXPORT_HOURS"]
    return imports.job_page(job, "records/proof_export.html", expires_at=proof_exports.expires_at(job, hours))


@bp.route("/proof-exports/<int:job_id>/download")
@roles_required(Role.COORDINATOR)
def proof_export_download(job_id: int):
    job = _get_proof_export(job_id)
    if job.status == "expired":
        abort(410, _("压缩包已过期删除，请重新生成。"))
    path = Path(job.stored_path) if job.status == "done" and job.stored_path else None
    if path is None or not path.is_file():
        abort(404, _("压缩包尚未生成完毕。"))
    branch = db.session.get(Branch, job.params["branch_id"])
    audit.record(current_user, "hours.branch_proofs_download", branch, f"下载 {job.filename}")
    db.session.commit()
    response = send_file(path, mimetype="application/zip", as_attachment=True, download_name=job.filename)
    response.headers["Cache-Control"] = "private, max-age=0"  # members' names and hours: never in a proxy
    return response


@verify_bp.route("/verify/<serial>")
def verify(serial: str):
    certificate = certificates.find_by_serial(serial) if len(serial) <= 40 else None
    if certificate is None:
        return render_template("records/verify.html", facts=None, serial=serial[:40]), 404
    facts = certificates.public_facts(certificate)
    response = Response(render_template("records/verify.html", facts=facts, serial=certificate.serial))
    response.headers["X-Robots-Tag"] = "noindex"
    return response
