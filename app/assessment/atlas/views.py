from flask import Blueprint

bp = Blueprint("atlas", __name__, url_prefix="/map")


@bp.route("/")
def index():
    return ""


@bp.route("/places")
def places():
    return ""
