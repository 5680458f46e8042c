"""The scores of a subtree as an XLSX workbook, written row by row (openpyxl's write-only mode)."""

from flask_babel import gettext as _

from app.assessment import services
from app.assessment.models import Scheme
from app.core import spreadsheets
from app.org.models import KIND_LABELS, BranchKind


def _rows(scheme: Scheme, nodes):
    for node in nodes:
        by_indicator = {line.indicator.id: line.final for line in node.lines}
        yield [
            "　" * node.depth + node.name,
            str(KIND_LABELS[BranchKind(node.kind)]),
            node.members,
            *[float(by_indicator[i.id]) if i.id in by_indicator else "" for i in scheme.indicators],
            float(node.total),
        ]


def xlsx(scheme: Scheme, prefix: str):
    """Every node under ``prefix``: 党支部 with each indicator's points, the others rolled up."""
    nodes = services.scores_for(scheme, prefix)
    header = [_("组织"), _("层级"), _("党员数"), *[i.name for i in scheme.indicators], _("总分")]
    sheet = spreadsheets.Sheet(_("考核得分"), header, _rows(scheme, nodes), widths=(30, 8, 8))
    return spreadsheets.xlsx_file([sheet])
