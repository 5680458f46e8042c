"""PDF certificates (a course's 结业证书, a year's 学时证明, a branch's bundle) and the public page
that verifies one by its serial.

The PDF routes add to records' blueprint; the verification page is its own blueprint at ``/verify``,
open to anyone (the QR code on the paper leads there): it shows the facts with the name masked, or
says the serial is unknown (404) or the certificate revoked. Serials carry 100 random bits, which is
what protects it from enumeration; no login, no rate limit needed.
"""

from urllib.parse import quote

from flask import Blueprint, Response, abort, render_template, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.core.clock import localtoday
from app.core.pdf import download as pdf_download
from app.core.permissions import login_required, roles_required
from app.core.urls import absolute_url
from app.extensions import db
from app.org import services as org_services
from app.records import certificate_pdf, certificates
from app.records.models import Certificate
from app.records.views import bp

verify_bp = Blueprint("verify", __name__)

#: Certificates rendered per database read while a branch's bundle streams.
BUNDLE_BATCH = 50


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
    """Every member's 学时证明 of the branch's subtree in one ZIP, written while it downloads."""
    branch = org_services.get_branch_for(branch_id, current_user)
    ids = certificates.branch_proofs(branch, _checked_year(year), current_user)
    db.session.commit()
    if not ids:
        abort(404, _("%(branch)s %(year)s 年没有成员取得学时。", branch=branch.name, year=year))

    def batches():
        for start in range(0, len(ids), BUNDLE_BATCH):
            chunk = ids[start : start + BUNDLE_BATCH]
            rows = db.session.scalars(db.select(Certificate).where(Certificate.id.in_(chunk))).all()
            by_id = {c.id: c for c in rows}
            yield [by_id[i] for i in chunk]
            db.session.expunge_all()

    name = _("%(branch)s-%(year)s年学时证明.zip", branch=branch.name, year=year)
    response = Response(
        stream_with_context(certificate_pdf.stream_zip(batches(), _verify_url)), mimetype="application/zip"
    )
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "private, max-age=0"
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
