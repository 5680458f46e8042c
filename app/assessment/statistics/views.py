"""党务统计 pages: the charts of a coordinator's subtree, each one's data as JSON and as CSV or XLSX."""

from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template,
    request,
    send_file,
    stream_with_context,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.assessment.statistics import services
from app.assessment.statistics.charts import CHARTS
from app.core import spreadsheets
from app.core.clock import localtoday
from app.core.permissions import roles_required
from app.org.services import ordered_tree, visible_branches

bp = Blueprint("statistics", __name__, url_prefix="/assessment/statistics")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year() -> int:
    year = request.args.get("year", type=int)
    today = localtoday()
    return year if year and 2000 <= year <= today.year else today.year


def _scope() -> services.Scope:
    return services.scope_for(current_user, request.args.get("branch"))


def _chart(name: str):
    build = CHARTS.get(name)
    if build is None:
        abort(404)
    return build(_scope(), _year(), localtoday())


@bp.route("/")
@roles_required(Role.COORDINATOR)
def index():
    scope = _scope()
    return render_template(
        "assessment/statistics/index.html",
        scope=scope,
        year=_year(),
        this_year=localtoday().year,
        charts=list(CHARTS),
        branches=ordered_tree(visible_branches(current_user)),
        as_of=services.structure_as_of(),
    )


@bp.route("/charts/<name>.json")
@roles_required(Role.COORDINATOR)
def chart_data(name: str):
    return jsonify(_chart(name).as_json())


@bp.route("/charts/<name>.<fmt>")
@roles_required(Role.COORDINATOR)
def chart_export(name: str, fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    data = _chart(name)
    filename = _("%(title)s-%(scope)s", title=data.title, scope=_scope_name())
    if fmt == "csv":
        response = Response(
            stream_with_context(spreadsheets.csv_stream(data.header(), data.rows())),
            mimetype="text/csv; charset=utf-8",
        )
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename + '.csv')}"
        return response
    sheet = spreadsheets.Sheet(data.title[:31], data.header(), data.rows(), widths=(16,))
    return send_file(
        spreadsheets.xlsx_file([sheet]),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"{filename}.xlsx",
    )


def _scope_name() -> str:
    scope = _scope()
    return scope.branch.name if scope.branch else _("全部")
