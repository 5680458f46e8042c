"""The platform's one PDF toolkit: the Chinese font, the page styles, plain-text paragraphs, a flowing
A4 document, and the download response. Letters and archives (membership), certificates (records)
and the demo's course materials (courses) all draw with it, so Chinese looks the same in each.

The font: ReportLab embeds TrueType outlines only. Noto CJK (the fonts Debian's ``fonts-noto-cjk``
installs) is CFF-based OpenType, which it cannot read; WenQuanYi Zen Hei (``fonts-wqy-zenhei``,
installed by scripts/setup) and AR PL UMing (``fonts-arphic-uming``) are TrueType collections it
can: their first face is the Simplified Chinese one. Only the glyphs used are embedded (a subset),
so a one-page certificate stays small. When no such font is found, ReportLab's built-in
``STSong-Light`` is used (named, not embedded: the reader supplies a Song face).
"""

import logging
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from flask import Response, current_app, send_file
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate

logger = logging.getLogger(__name__)

# --- the font -------------------------------------------------------------------------------------

#: TrueType CJK fonts Debian installs, in order of preference.
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
EMBEDDED = "HongkeCJK"
FALLBACK = "STSong-Light"
_chosen: str | None = None


def _register(path: str) -> bool:
    try:
        pdfmetrics.registerFont(TTFont(EMBEDDED, path, subfontIndex=0))
    except (TTFError, OSError) as exc:
        logger.warning("cannot embed the CJK font %s: %s", path, exc)
        return False
    return True


def cjk_font() -> str:
    """The registered font name to draw Chinese with: embedded when a TrueType CJK font exists."""
    global _chosen
    if _chosen is None:
        configured = current_app.config.get("PDF_CJK_FONT") or ""
        paths = [configured] if configured else [p for p in CANDIDATES if Path(p).exists()]
        if any(_register(p) for p in paths):
            _chosen = EMBEDDED
        else:
            logger.warning("no TrueType CJK font found: PDFs name STSong-Light without embedding it")
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
            _chosen = FALLBACK
    return _chosen


# --- text -----------------------------------------------------------------------------------------


def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles of a flowing document (letters, archives, course materials)."""
    body = ParagraphStyle("body", fontName=cjk_font(), fontSize=12, leading=20, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", body, fontSize=18, leading=28, alignment=TA_CENTER, spaceAfter=12),
        "heading": ParagraphStyle("heading", body, fontSize=14, leading=22, spaceBefore=10, spaceAfter=4),
        "body": body,
        "indent": ParagraphStyle("indent", body, firstLineIndent=24),
        "right": ParagraphStyle("right", body, alignment=TA_RIGHT),
        "small": ParagraphStyle("small", body, fontSize=10, leading=15),
    }


def paragraph(text, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: whatever users typed is escaped, never read as ReportLab markup."""
    return Paragraph(escape(str(text)), style)


# --- documents ------------------------------------------------------------------------------------

#: The margins of a flowing A4 document.
MARGIN = 20 * mm


def build_document(title: str, story: list) -> bytes:
    """``story`` (flowables) laid out on A4 pages with the platform's margins, as PDF bytes."""
    out = BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=title, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN
    )
    doc.build(story)
    return out.getvalue()


def download(body: bytes, filename: str) -> Response:
    """``body`` as a PDF download, never cached by a shared proxy (letters, archives and
    certificates are personal)."""
    response = send_file(
        BytesIO(body), mimetype="application/pdf", as_attachment=True, download_name=filename, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=0"
    return response
