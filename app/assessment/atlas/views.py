"""红色地图 pages: the map and list every member sees, a branch's card, and the admins' places."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound

from app.accounts.models import Role
from app.assessment.atlas import services
from app.assessment.atlas.forms import PlaceForm
from app.assessment.atlas.models import Place
from app.core.errors import back_to, refused
from app.core.headers import policy_with_images_from
from app.core.permissions import roles_required
from app.extensions import db
from app.org.models import Branch

bp = Blueprint("atlas", __name__, url_prefix="/map")

#: Where the map opens when the member's branch has no position: the middle of China.
DEFAULT_CENTER = (35.0, 105.0)


def _tile_origin() -> str:
    parts = urlsplit(current_app.config["MAP_TILE_URL"] or "")
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}" if parts.scheme and parts.netloc else ""


def _map_page(template: str, **context):
    """Render a page with the map: its CSP lets images come from the configured tile server only."""
    config = current_app.config
    response = current_app.make_response(
        render_template(
            template,
            tile_url=config["MAP_TILE_URL"] or "",
            tile_attribution=config["MAP_TILE_ATTRIBUTION"] or "",
            max_zoom=config["MAP_MAX_ZOOM"],
            **context,
        )
    )
    response.headers["Content-Security-Policy"] = policy_with_images_from(_tile_origin())
    return response


def _center(branch: Branch | None) -> tuple[float, float, int]:
    if branch is not None and branch.has_location:
        return float(branch.latitude), float(branch.longitude), 12
    return (*DEFAULT_CENTER, 4)


@bp.route("/")
@login_required
def index():
    own = current_user.branch
    nearby = services.nearby_branches(own) if own is not None else []
    cards = services.branch_cards(([own] if own is not None else []) + nearby, origin=own)
    return _map_page(
        "assessment/atlas/index.html",
        own=cards[0] if own is not None else None,
        nearby=cards[1:] if own is not None else cards,
        places=services.all_places(),
        center=_center(own),
    )


@bp.route("/branches/<int:branch_id>")
@login_required
def branch(branch_id: int):
    found = db.session.get(Branch, branch_id)
    if found is None:
        raise NotFound()
    card = services.branch_cards([found], origin=current_user.branch)[0]
    return _map_page("assessment/atlas/branch.html", card=card, center=_center(found))


# --- places (admins) ----------------------------------------------------------------------------


def _data(form: PlaceForm) -> services.PlaceData:
    return services.PlaceData(
        name=form.name.data,
        kind=form.kind.data,
        address=form.address.data,
        latitude=form.latitude.data,
        longitude=form.longitude.data,
        description=form.description.data,
        contact=form.contact.data,
    )


def _place(place_id: int) -> Place:
    place = db.session.get(Place, place_id)
    if place is None:
        raise NotFound()
    return place


@bp.route("/places")
@roles_required(Role.ADMIN)
def places():
    return render_template("assessment/atlas/places.html", places=services.all_places())


@bp.route("/places/new", methods=["GET", "POST"])
@bp.route("/places/<int:place_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def place_form(place_id: int | None = None):
    place = _place(place_id) if place_id is not None else None
    form = PlaceForm(obj=place)
    if form.validate_on_submit():
        try:
            if place is None:
                place = services.create_place(current_user, _data(form))
            else:
                services.update_place(current_user, place, _data(form))
        except services.AtlasError as exc:
            status = refused(exc, form, field="name")
            return render_template("assessment/atlas/place_form.html", form=form, place=place), status
        db.session.commit()
        flash(_("已保存地点「%(name)s」。", name=place.name), "success")
        return redirect(url_for("atlas.places"))
    status = 422 if request.method == "POST" else 200
    return render_template("assessment/atlas/place_form.html", form=form, place=place), status


@bp.route("/places/<int:place_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def delete_place(place_id: int):
    place = _place(place_id)
    with back_to(url_for("atlas.places")):
        services.delete_place(current_user, place)
    db.session.commit()
    flash(_("已删除地点。"), "success")
    return redirect(url_for("atlas.places"))
