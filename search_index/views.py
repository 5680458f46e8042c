"""The /search page (phone first): one box, type filters, highlighted results, pages."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from app.core.permissions import login_required
from app.org.services import scope_path
from search_index import services

bp = Blueprint("search", __name__, template_folder="templates")


def current_viewer():
    """The signed-in user as the permission filter sees them (shared with the API)."""
    return services.viewer_for(current_user, scope_path(current_user))


@bp.get("/search")
@login_required
def index():
    result = services.search(
        current_viewer(), request.args.get("q"), request.args.get("type"), request.args.get("page", 1)
    )
    return render_template("search/index.html", result=result, types=services.type_choices())
