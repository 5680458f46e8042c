"""Certificates as PDF pages: the frame, the text, the serial and a QR code of the verification page.

The Chinese font is embedded (see :mod:`app.core.pdf`, the platform's one PDF toolkit), so a
certificate prints the same on a computer that has no Chinese font. A branch's bundle is a ZIP
written piece by piece (by a worker, to a file: :mod:`app.records.proof_exports`): one member's PDF
is rendered, compressed and written before the next is started, so memory stays flat however large
the branch.
"""

import zipfile
from collections.abc import Callable, Iterable, Iterator
from io import BytesIO

import segno
from flask_babel import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from app.core.clock import LOCAL_TZ
from app.core.pdf import cjk_font, paragraph
from app.records.models import Certificate

RED = HexColor("#c8161d")
PAGE = landscape(A4)


def _qr_image(url: str) -> ImageReader:
    out = BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    out.seek(0)
    return ImageReader(out)


def _text(certificate: Certificate) -> tuple[str, str]:
    member = certificate.user
    day = certificate.completed_at.astimezone(LOCAL_TZ).strftime("%Y年%m月%d日")
    hours = f"{certificate.hours:.2f}"
    if certificate.kind == "course":
        body = _(
            "%(name)s 同志（工号 %(no)s）于 %(date)s 完成网上党校课程《%(course)s》的全部学习内容，"
            "计 %(hours)s 学时，准予结业。",
            name=certificate.holder_name,
            no=member.employee_no,
            date=day,
            course=certificate.title,
            hours=hours,
        )
        return _("结业证书"), body
    body = _(
        "兹证明 %(name)s 同志（工号 %(no)s）%(year)s 年度在网上党校累计取得学时 %(hours)s 学时"
        "（截至 %(date)s，以学时台账为准）。",
        name=certificate.holder_name,
        no=member.employee_no,
        year=certificate.year,
        hours=hours,
        date=day,
    )
    return _("学时证明"), body


def _page(pdf: canvas.Canvas, certificate: Certificate, verify_url: str) -> None:
    font = cjk_font()
    width, height = PAGE
    pdf.setStrokeColor(RED)
    pdf.setLineWidth(3)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    pdf.setLineWidth(0.8)
    pdf.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    heading, body = _text(certificate)
    pdf.setFillColor(RED)
    pdf.setFont(font, 34)
    pdf.drawCentredString(width / 2, height - 45 * mm, "  ".join(heading))
    pdf.setFillColor(HexColor("#000000"))
    style = ParagraphStyle("body", fontName=font, fontSize=16, leading=30, wordWrap="CJK", firstLineIndent=32)
    text = paragraph(body, style)
    _w, h = text.wrap(width - 80 * mm, 80 * mm)
    text.drawOn(pdf, 40 * mm, height - 70 * mm - h)
    issuer = ParagraphStyle("issuer", fontName=font, fontSize=13, leading=20, alignment=TA_CENTER)
    branch = certificate.user.branch.name if certificate.user.branch else ""
    lines = [
        _("红课 · 网上党校"),
        branch,
        certificate.issued_at.astimezone(LOCAL_TZ).strftime("%Y年%m月%d日"),
    ]
    for i, line in enumerate(lines):
        p = paragraph(line, issuer)
        p.wrap(90 * mm, 20 * mm)
        p.drawOn(pdf, width - 135 * mm, 62 * mm - i * 8 * mm)
    size = 34 * mm
    pdf.drawImage(_qr_image(verify_url), 25 * mm, 22 * mm, size, size)
    pdf.setFont(font, 10)
    pdf.drawString(62 * mm, 40 * mm, _("证书编号：%(serial)s", serial=certificate.serial))
    pdf.drawString(62 * mm, 33 * mm, _("扫码或访问下列网址核验真伪："))
    pdf.drawString(62 * mm, 26 * mm, verify_url)
    pdf.showPage()


def render(certificates: Iterable[Certificate], verify_url: Callable[[str], str], title: str) -> bytes:
    """One PDF with a page per certificate."""
    out = BytesIO()
    pdf = canvas.Canvas(out, pagesize=PAGE, pageCompression=1)
    pdf.setTitle(title)
    pdf.setAuthor(_("红课 · 网上党校"))
    for certificate in certificates:
        _page(pdf, certificate, verify_url(certificate.serial))
    pdf.save()
    return out.getvalue()


def filename(certificate: Certificate) -> str:
    return f"{certificate.user.employee_no}-{certificate.holder_name}-{certificate.title}.pdf"


class _Sink:
    """A write-only stream (no seek, no tell): :mod:`zipfile` then writes data descriptors and the
    bytes can be handed on as soon as they are written."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def stream_zip(batches: Iterable[list[Certificate]], verify_url: Callable[[str], str]) -> Iterator[bytes]:
    """A ZIP of one PDF per certificate, yielded piece by piece as each is rendered."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for batch in batches:
            for certificate in batch:
                body = render([certificate], verify_url, certificate.title)
                archive.writestr(filename(certificate), body)
                yield sink.take()
    yield sink.take()
