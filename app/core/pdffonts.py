"""A Chinese font ReportLab can embed, for PDFs that must look the same on every reader (certificates).

ReportLab embeds TrueType outlines only. Noto CJK (the fonts Debian's ``fonts-noto-cjk`` installs)
is CFF-based OpenType, which it cannot read; WenQuanYi Zen Hei (``fonts-wqy-zenhei``, installed by
scripts/setup) and AR PL UMing (``fonts-arphic-uming``) are TrueType collections it can: their first
face is the Simplified Chinese one. Only the glyphs used are embedded (a subset), so a one-page
certificate stays small. When no such font is found, ReportLab's built-in ``STSong-Light`` is used
(named, not embedded: the reader supplies a Song face), as the membership letters do.
"""

import logging
from pathlib import Path

from flask import current_app
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

logger = logging.getLogger(__name__)

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
            logger.warning("no TrueType CJK font found: certificates name STSong-Light without embedding it")
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
            _chosen = FALLBACK
    return _chosen
