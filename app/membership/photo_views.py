"""The member's card photo: uploaded from the card page (the member) or the archive page (those who
keep the file), and served only to those :func:`app.membership.services.photos.load_photo` allows."""

from flask import flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from app.core.permissions import login_required
from app.extensions import db
from app.membership.forms import PhotoForm
from app.membership.services import photos
from app.membership.services.access import load_member


def register(bp) -> None:
    bp.add_url_rule("/members/<int:member_id>/photo", "upload_photo", upload_photo, methods=["POST"])
    bp.add_url_rule("/members/<int:member_id>/photo", "member_photo", member_photo)


@login_required
def upload_photo(member_id: int):
    member = load_member(member_id, current_user, photos.may_change_photo)
    form = PhotoForm()
    if not form.validate_on_submit():
        raise photos.PhotoError(_("请选择照片"), field="photo")
    photos.set_photo(current_user, member, form.photo.data.stream, form.photo.data.filename)
    db.session.commit()
    flash(_("照片已更新。"), "success")
    if member.id == current_user.id:
        return redirect(url_for("membership.my_card"))
    return redirect(url_for("membership.archive", member_id=member.id))


@login_required
def member_photo(member_id: int):
    member = load_member(member_id, current_user, lambda actor, row: True)
    path = photos.load_photo(current_user, member, request.args.get("t"))
    if path is None or not path.is_file():
        raise NotFound()
    response = send_file(path, mimetype="image/jpeg", download_name="photo.jpg", max_age=0)
    response.headers["Content-Disposition"] = 'inline; filename="photo.jpg"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
