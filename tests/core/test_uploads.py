"""``app.core.uploads``: small files are streamed to disk, refused early, and follow the database."""

import io

import pytest
import sqlalchemy as sa

from app.core import uploads
from app.extensions import db


class EndlessStream:
    """An upload that never ends (a client that keeps sending), remembering what was asked of it."""

    def __init__(self, head: bytes = b"%PDF-1.4\n"):
        self.head, self.read_total, self.largest_read = head, 0, 0

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "an unbounded read() would hold the whole upload in memory"
        self.largest_read = max(self.largest_read, size)
        block = (self.head + b"0" * size)[:size] if self.read_total == 0 else b"0" * size
        self.read_total += len(block)
        return block


def pdf(head: bytes) -> str | None:
    return "pdf" if head.startswith(b"%PDF-") else None


def test_finding_uploads_a_file_over_the_limit_is_streamed_and_dropped_not_read_whole(tmp_path):
    stream = EndlessStream()
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.save_upload(stream, tmp_path, max_bytes=3 * uploads.BLOCK_BYTES, kind_of=pdf)
    assert refused.value.reason == uploads.TOO_LARGE
    assert stream.largest_read <= uploads.BLOCK_BYTES
    assert stream.read_total <= 4 * uploads.BLOCK_BYTES  # it stopped one block past the limit
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left behind


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", uploads.EMPTY), (b"<svg onload=alert(1)>", uploads.WRONG_KIND), (b"%PDF", uploads.WRONG_KIND)],
)
def test_uploads_empty_or_of_the_wrong_kind_is_refused_and_leaves_nothing(tmp_path, content, reason):
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.save_upload(io.BytesIO(content), tmp_path, max_bytes=1000, kind_of=pdf)
    assert refused.value.reason == reason
    assert list(tmp_path.iterdir()) == []


def test_uploads_the_kind_is_read_from_the_content_and_names_the_file(app, tmp_path):
    saved = uploads.save_upload(io.BytesIO(b"%PDF-1.7 body"), tmp_path, max_bytes=1000, kind_of=pdf)
    assert saved.path.parent == tmp_path
    assert saved.name.endswith(".pdf")
    assert len(saved.name) == 32 + 4  # random, not the client's name
    assert saved.size == 13
    assert saved.path.read_bytes() == b"%PDF-1.7 body"
    db.session.commit()
    assert saved.path.exists()  # committed: the row that names it is there to stay


def test_uploads_a_file_follows_the_transaction(app, tmp_path):
    db.session.execute(sa.text("SELECT 1"))  # as in a request: the transaction loaded the row already
    saved = uploads.save_upload(io.BytesIO(b"%PDF-1.7"), tmp_path, max_bytes=100, kind_of=pdf)
    db.session.rollback()
    assert not saved.path.exists()  # the row that was to name it was never written

    old = tmp_path / "old.pdf"
    old.write_bytes(b"%PDF-old")
    uploads.remove_after_commit([old])
    db.session.rollback()
    assert old.exists()  # the row still points at it
    db.session.execute(sa.text("SELECT 1"))
    uploads.remove_after_commit([old])
    db.session.commit()
    assert not old.exists()
