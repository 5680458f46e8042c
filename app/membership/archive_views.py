"""The member archive's pages (党员档案): the archive, its documents and entries."""

from flask import redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from app.core.errors import back_to
from app.core.pdf import download as pdf_download
from app.core.permissions import login_required
from app.extensions import db
from app.membership import pdf, rules
from app.membership.forms import DocumentForm, EntryForm, LetterForm, PhotoForm
from app.membership.services import archive, photos, transfers
from app.membership.services import development as dev
from app.membership.services.access import load_member, may_keep_file, may_see_file
from app.records.services import hours_by_year


def register(bp) -> None:
    bp.add_url_rule("/me", "my_archive", my_archive)
    bp.add_url_rule("/members/<int:member_id>/archive", "archive", member_archive)
    bp.add_url_rule("/members/<int:member_id>/documents", "add_document", add_document, methods=["POST"])
    bp.add_url_rule("/members/<int:member_id>/entries", "add_entry", add_entry, methods=["POST"])
    bp.add_url_rule("/documents/<int:document_id>", "document", document)
    bp.add_url_rule("/members/<int:member_id>/archive.pdf", "archive_pdf", export_archive)


@login_required
def my_archive():
    return redirect(url_for("membership.archive", member_id=current_user.id))


@login_required
def member_archive(member_id: int):
    member = load_member(member_id, current_user, may_see_file)
    contents = archive.open_archive(current_user, member)
    db.session.commit()  # the view is on record even if rendering fails
    return render_template(
        "membership/archive.html",
        member=member,
        timeline=dev.build_timeline(member),
        transfers=list(db.session.scalars(transfers.transfers_query(current_user, member=member).limit(50))),
        hours=hours_by_year(member.id)[:5],
        access=archive.access_log(member),
        may_keep=may_keep_file(current_user, member),
        document_form=DocumentForm(formdata=None),
        entry_form=EntryForm(formdata=None),
        letter_form=LetterForm(formdata=None),
        photo_form=PhotoForm(formdata=None),
        has_photo=photos.photo_of(member.id) is not None,
        stage_labels=rules.STAGE_LABELS,
        **contents,
    )


@login_required
def add_document(member_id: int):
    member = load_member(member_id, current_user, may_keep_file)
    form = DocumentForm()
    with back_to(url_for("membership.archive", member_id=member.id)):
        if not form.validate_on_submit():
            raise archive.ArchiveError(_("请选择文件和材料类别"), field="file")
        archive.add_document(
            current_user,
            member,
            form.file.data.stream,
            form.file.data.filename,
            form.kind.data,
            form.step_key.data,
            form.confidential.data,
        )
    db.session.commit()
    return redirect(url_for("membership.archive", member_id=member.id))


# Alike in shape to add_document above and letter_views' issue_letter (load, form, back_to, one
# service): kept apart, each a different form and service.
@login_required
def add_entry(member_id: int):
    member = load_member(member_id, current_user, may_keep_file)
    form = EntryForm()
    with back_to(url_for("membership.archive", member_id=member.id)):
        if not form.validate_on_submit():
            raise archive.ArchiveError(_("请填写类别、日期和内容"), field="title")
        archive.add_entry(
            current_user,
            member,
            form.kind.data,
            form.occurred_on.data,
            form.title.data,
            form.confidential.data,
        )
    db.session.commit()
    return redirect(url_for("membership.archive", member_id=member.id))


@login_required
def document(document_id: int):
    item, path = archive.load_document(document_id, current_user)
    if not path.is_file():
        raise NotFound()
    db.session.commit()  # the download is on record
    response = send_file(
        path, mimetype=item.content_type, as_attachment=True, download_name=item.filename, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=0"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def export_archive(member_id: int):
    member = load_member(member_id, current_user, may_see_file)
    contents = archive.open_archive(current_user, member, export=True)
    moves = list(db.session.scalars(transfers.transfers_query(current_user, member=member).limit(200)))
    body = pdf.archive_pdf(
        member, dev.build_timeline(member), contents, moves, hours_by_year(member.id),
        archive.scanned_pages(contents["documents"]), archive.attached_pdfs(contents["documents"]),
    )  # fmt: skip
    db.session.commit()  # the export is on record
    return pdf_download(body, f"archive-{member.employee_no}.pdf")
