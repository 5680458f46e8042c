"""Certificate PDFs: the cost of embedding the Chinese font, beside the same page without it.

Run: ``.venv/bin/python -m bench.certificates [--pages 200]``. No database: the certificates are
built in memory. Prints, for ``--pages`` certificates, the time per page and the bytes per file of

1. one certificate per PDF with the embedded TrueType font (a subset of WenQuanYi Zen Hei: what a
   member downloads and what a branch's ZIP holds, one file per member), beside
2. the same pages naming ReportLab's built-in ``STSong-Light`` (not embedded: the reader supplies a
   font), which is how the membership letters are made, and
3. the branch ZIP stream of the same pages (deflated), beside the sum of the single PDFs.
"""

import argparse
import time
from datetime import UTC, datetime
from decimal import Decimal


def certificates(pages: int) -> list:
    from app.accounts.models import User
    from app.org.models import Branch
    from app.records.models import Certificate

    branch = Branch(name="基准第一党支部", path="/1/")
    now = datetime(2026, 12, 3, 8, tzinfo=UTC)
    rows = []
    for i in range(pages):
        user = User(employee_no=f"B{i:06d}", name=f"成员{i}号", branch=branch)
        rows.append(
            Certificate(
                serial=f"HK-2345{i % 10}-ABCDE-FGHJK-LMNPQ",
                user=user,
                kind="annual" if i % 2 else "course",
                course_id=None if i % 2 else 1,
                year=2026,
                title="2026 年度学时证明" if i % 2 else "学习贯彻党的二十大精神",
                holder_name=user.name,
                hours=Decimal("32.50"),
                completed_at=now,
                issued_at=now,
                last_entry_id=1,
                revoked_reason="",
            )
        )
    return rows


def run(pages: int) -> None:
    from app.core import pdf as pdfkit
    from app.records import certificate_pdf

    rows = certificates(pages)

    def url(serial):
        return f"https://hongke.example/verify/{serial}"

    def per_page(font: str) -> tuple[float, float]:
        pdfkit._chosen = font
        began = time.perf_counter()
        sizes = [len(certificate_pdf.render([c], url, c.title)) for c in rows]
        return (time.perf_counter() - began) / pages * 1000, sum(sizes) / pages

    pdfkit._chosen = None
    embedded_font = pdfkit.cjk_font()
    embedded_ms, embedded_bytes = per_page(embedded_font)
    pdfkit.pdfmetrics.registerFont(pdfkit.UnicodeCIDFont(pdfkit.FALLBACK))
    named_ms, named_bytes = per_page(pdfkit.FALLBACK)
    pdfkit._chosen = embedded_font
    began = time.perf_counter()
    zipped = sum(len(chunk) for chunk in certificate_pdf.stream_zip([rows], url))
    zip_ms = (time.perf_counter() - began) / pages * 1000
    kib = 1024
    print(f"{pages} certificates, one PDF each")
    print(
        f"  embedded CJK font ({embedded_font}): {embedded_ms:7.1f} ms/page {embedded_bytes / kib:7.1f} KiB"
    )
    print(f"  peer, STSong-Light not embedded: {named_ms:7.1f} ms/page {named_bytes / kib:7.1f} KiB")
    print(f"  branch ZIP stream (embedded): {zip_ms:7.1f} ms/page {zipped / kib:7.1f} KiB in all")
    print(f"  peer, the single PDFs summed: {embedded_bytes * pages / kib:7.1f} KiB in all")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    from app import create_app
    from app.config import TestConfig

    app = create_app(TestConfig)
    with app.test_request_context():
        run(args.pages)


if __name__ == "__main__":
    main()
