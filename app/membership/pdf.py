"""Server-made PDFs with Chinese text: the 组织关系介绍信 (or its 回执) and a member's whole archive.

Fonts, styles, paragraphs and the page come from the platform's one PDF toolkit (:mod:`app.core.pdf`):
a TrueType CJK face embedded in the file, so a letter reads the same on any machine, as certificates do.
"""

import logging
from io import BytesIO
from pathlib import Path

from flask_babel import gettext as _
from PIL import Image as PILImage
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Image, PageBreak, Spacer

from app.core.pdf import build_document, paragraph, styles

logger = logging.getLogger(__name__)


def letter_pdf(letter) -> bytes:
    """The 介绍信 (outgoing) or the 回执 (incoming) as the printed page shows it: the same frame
    (title, number, addressee, text, our branch and the date), with the outgoing letter's reason and
    the state of its 回执 below."""
    s = styles()
    member, branch = letter.member, letter.branch
    if letter.direction == "out":
        title, number, day = _("中国共产党党员组织关系介绍信"), _("编号"), letter.issued_on
        text = _(
            "兹介绍 %(name)s 同志（%(category)s）的党员组织关系由 %(branch)s 转去你处，请接洽。",
            name=member.name,
            category=member.category_label or _("未定类别"),
            branch=branch.name,
        )
        receipt = _("已于 %(day)s 收到", day=letter.receipt_on) if letter.receipt_on else _("尚未收到")
        extra = [paragraph(f"{_('转接原因')}：{letter.reason}", s["indent"])]
        after = [Spacer(1, 8 * mm), paragraph(f"{_('回执')}：{receipt}", s["small"])]
    else:
        title, number, day = _("党员组织关系介绍信回执"), _("原介绍信编号"), letter.receipt_on
        text = _(
            "%(name)s 同志的党员组织关系已于 %(day)s 转入 %(branch)s。",
            name=member.name,
            day=letter.receipt_on,
            branch=branch.name,
        )
        extra, after = [], []
    story = [
        paragraph(title, s["title"]),
        paragraph(f"{number}：{letter.letter_no}", s["right"]),
        paragraph(f"{letter.outside_org}：", s["body"]),
        paragraph(text, s["indent"]),
        *extra,
        Spacer(1, 12 * mm),
        paragraph(branch.name, s["right"]),
        paragraph(day, s["right"]),
        *after,
    ]
    return build_document(title, story)


def _section(story: list, s, heading: str, lines: list[str], empty: str) -> None:
    story.append(paragraph(heading, s["heading"]))
    for line in lines or [empty]:
        story.append(paragraph(line, s["body"]))


def _image_pages(story: list, s, images: list[tuple[str, Path]]) -> None:
    """Each scanned document (PNG or JPEG) on a page of its own, fitted to the page."""
    width, height = A4[0] - 40 * mm, A4[1] - 60 * mm
    for caption, path in images:
        try:
            with PILImage.open(path) as picture:
                w, h = picture.size
        except OSError:
            continue  # a file gone from the disk is listed above, not fatal to the export
        scale = min(width / w, height / h, 1)
        story += [PageBreak(), paragraph(caption, s["small"]), Image(str(path), w * scale, h * scale)]


def _open_pdf(path: Path) -> tuple[PdfReader | None, str]:
    """An uploaded PDF ready to merge, or None with the note the summary shows instead."""
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            return None, _("（文件已加密，未并入）")
        if not len(reader.pages):
            return None, _("（文件没有页面，未并入）")
        return reader, _("（附后）")
    # Uploaded files are anything a browser sent that starts with %PDF-: pypdf raises more kinds of
    # errors than its own on broken ones. The export goes on without the file, and says so.
    except Exception:
        logger.info("archive export: %s is not a readable PDF", path.name, exc_info=True)
        return None, _("（文件损坏，未并入）")


def _merged(summary: bytes, readers: list[PdfReader]) -> bytes:
    """The summary pages followed by every page of each uploaded PDF, in the order listed."""
    if not readers:
        return summary
    writer = PdfWriter(clone_from=BytesIO(summary))
    for reader in readers:
        try:
            writer.append(reader, import_outline=False)
        except Exception:
            logger.info("archive export: a PDF could not be appended", exc_info=True)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def archive_pdf(
    member, timeline, contents: dict, transfers: list, hours: list, images, attached: dict[int, Path]
) -> bytes:
    """The whole archive as one PDF: profile, development steps, documents (scans included as
    pages), 民主评议/奖惩 entries, transfers and 学时 by year, then the pages of the uploaded PDFs
    (``attached``: document id → file). ``contents`` is what
    :func:`app.membership.services.archive.open_archive` allowed the reader to see."""
    opened = {doc_id: _open_pdf(path) for doc_id, path in attached.items()}
    s = styles()
    title = _("%(name)s · 党员档案", name=member.name)
    profile = [
        f"{_('工号')}：{member.employee_no}",
        f"{_('所属组织')}：{member.branch.name if member.branch else ''}",
        f"{_('人员类别')}：{member.category_label or _('未定类别')}",
    ]
    if member.joined_party_on:
        profile.append(f"{_('入党日期')}：{member.joined_party_on}")
    story = [paragraph(title, s["title"])]
    _section(story, s, _("基本信息"), profile, "")
    steps = [f"{r.done.done_on} · {r.step.label}" for r in timeline.rows if r.done is not None]
    _section(story, s, _("发展党员"), steps, _("没有发展记录。"))
    documents = [
        f"{d.kind_label}：{d.filename}{opened.get(d.id, (None, ''))[1]}" for d in contents["documents"]
    ]
    _section(story, s, _("材料"), documents, _("还没有材料。"))
    entries = [f"{e.occurred_on} · {e.kind_label}：{e.title}" for e in contents["entries"]]
    _section(story, s, _("民主评议与奖惩"), entries, _("还没有记录。"))
    moves = [
        f"{t.requested_at:%Y-%m-%d} · {t.from_branch.name} → {t.to_branch.name} · {t.status_label}"
        for t in transfers
    ]
    _section(story, s, _("组织关系转接"), moves, _("没有转接记录。"))
    years = [f"{year}：{total} {_('学时')}" for year, total in hours]
    _section(story, s, _("学时"), years, _("还没有学时记录。"))
    _image_pages(story, s, images)
    readers = [opened[d.id][0] for d in contents["documents"] if opened.get(d.id, (None,))[0] is not None]
    return _merged(build_document(title, story), readers)
