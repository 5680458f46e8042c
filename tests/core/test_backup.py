"""flask backup / flask restore: a snapshot of the database and the media store, restored into an
empty instance with identical row counts and a verified ledger; a changed backup or a non-empty
target is refused before anything is written."""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app.accounts import services as accounts
from app.accounts.models import User
from app.config import TestConfig
from app.core.backup import row_counts
from app.extensions import db
from app.org.services import create_branch
from app.records import manual
from tests.conftest import _scratch_database, side_app

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def flask(app, *args):
    """Run ``flask ARGS`` on ``app`` (inside its own app context: the session's is pushed too)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


@contextmanager
def instance(session_app, folder: Path, **settings):
    """A separate, migrated, empty instance (its own database and media folder), with ``settings``."""
    base = os.environ.get("DATABASE_URL", "")
    scratch = _scratch_database(base) if base.startswith("postgresql") else None
    url = scratch.__enter__() if scratch else f"sqlite:///{folder / 'db.sqlite'}"

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        MEDIA_ROOT = str(folder / "media")
        SEARCH_INDEX_DIR = str(folder / "search")
        IMPORT_DIR = str(folder / "imports")

    for name, value in settings.items():
        setattr(Config, name, value)
    folder.mkdir(parents=True, exist_ok=True)
    other = side_app(Config, session_app)
    with other.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
    try:
        yield other
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
        if scratch:
            scratch.__exit__(None, None, None)


def _seed(source) -> None:
    with source.app_context():
        root = create_branch("备份测试党委", "committee", None, actor=None)
        branch = create_branch("备份测试党支部", "branch", root, actor=None)
        coordinator = accounts.create_user(
            accounts.UserData(employee_no="BK001", name="备份组织员", branch_id=root.id),
            ["coordinator", "member"],
            actor=None,
            password="Backup-pass-2026",
        )
        for n in range(3):
            member = accounts.create_user(
                accounts.UserData(employee_no=f"BK1{n:02d}", name=f"成员{n}", branch_id=branch.id),
                ["member"],
                actor=None,
                password="Backup-pass-2026",
            )
            manual.request_manual_hours(member, 2, "专题学习", coordinator)
        db.session.commit()
    media = Path(source.config["MEDIA_ROOT"]) / "assets" / "1"
    media.mkdir(parents=True)
    (media / "original.mp4").write_bytes(os.urandom(4096))
    (media / "poster.jpg").write_bytes(b"\xff\xd8poster")


def test_backup_then_restore_into_an_empty_instance_gives_the_same_rows_and_files(app, tmp_path):
    backup = tmp_path / "backup"
    with instance(app, tmp_path / "source") as source:
        _seed(source)
        result = flask(source, "backup", str(backup))
        assert result.exit_code == 0, result.output
        with source.app_context():
            before = row_counts()
        source_media = sorted(
            p.relative_to(source.config["MEDIA_ROOT"])
            for p in Path(source.config["MEDIA_ROOT"]).rglob("*")
            if p.is_file()
        )
    assert before["user"] == 4
    assert before["hours_entry"] == 3

    with instance(app, tmp_path / "target") as target:
        result = flask(target, "restore", str(backup))
        assert result.exit_code == 0, result.output
        assert "完整性校验通过：points, records" in result.output  # both ledgers verified
        with target.app_context():
            assert row_counts() == before
            assert db.session.scalar(sa.select(User.name).where(User.employee_no == "BK100")) == "成员0"
        media_root = Path(target.config["MEDIA_ROOT"])
        assert sorted(p.relative_to(media_root) for p in media_root.rglob("*") if p.is_file()) == source_media
        assert (media_root / "assets" / "1" / "poster.jpg").read_bytes() == b"\xff\xd8poster"

        # Restoring again, over data, is refused: restore never merges.
        again = flask(target, "restore", str(backup))
        assert again.exit_code != 0
        assert "只能恢复到空的实例" in again.output


def test_upload_folders_set_outside_the_media_root_are_saved_and_restored(app, tmp_path):
    """KB_UPLOAD_DIR (any ``*_UPLOAD_DIR``) on another volume: its files were left out of the backup."""
    backup = tmp_path / "backup"
    with instance(app, tmp_path / "source", KB_UPLOAD_DIR=str(tmp_path / "shared-kb")) as source:
        _seed(source)
        (tmp_path / "shared-kb" / "covers").mkdir(parents=True)
        (tmp_path / "shared-kb" / "covers" / "c1.jpg").write_bytes(b"\xff\xd8cover")
        result = flask(source, "backup", str(backup))
        assert result.exit_code == 0, result.output
    assert (backup / "folders" / "KB_UPLOAD_DIR" / "covers" / "c1.jpg").read_bytes() == b"\xff\xd8cover"

    with instance(app, tmp_path / "unset") as target:  # the setting missing: refused, nothing written
        result = flask(target, "restore", str(backup))
        assert result.exit_code != 0
        assert "请先在本实例设置 KB_UPLOAD_DIR" in result.output
        assert not any(Path(target.config["MEDIA_ROOT"]).rglob("*.mp4"))
        with target.app_context():
            assert row_counts()["user"] == 0

    with instance(app, tmp_path / "target", KB_UPLOAD_DIR=str(tmp_path / "target-kb")) as target:
        result = flask(target, "restore", str(backup))
        assert result.exit_code == 0, result.output
    assert (tmp_path / "target-kb" / "covers" / "c1.jpg").read_bytes() == b"\xff\xd8cover"


def test_only_the_files_the_manifest_lists_are_restored_and_a_moved_folder_is_refused(app, tmp_path):
    backup = tmp_path / "backup"
    with instance(app, tmp_path / "source") as source:
        _seed(source)
        assert flask(source, "backup", str(backup)).exit_code == 0
    (backup / "media" / "planted.html").write_text("<script>alert(1)</script>")  # not in the manifest

    # The backup kept the knowledge base's files inside MEDIA_ROOT; this instance reads them from
    # another volume: restoring would put them where nothing reads them.
    with instance(app, tmp_path / "moved", KB_UPLOAD_DIR=str(tmp_path / "moved-kb")) as target:
        result = flask(target, "restore", str(backup))
        assert result.exit_code != 0
        assert "请先去掉本实例的 KB_UPLOAD_DIR 设置再恢复" in result.output
        assert not any(Path(target.config["MEDIA_ROOT"]).rglob("*.*"))

    with instance(app, tmp_path / "target") as target:
        assert flask(target, "restore", str(backup)).exit_code == 0
        media_root = Path(target.config["MEDIA_ROOT"])
        assert (media_root / "assets" / "1" / "poster.jpg").is_file()
        assert not (media_root / "planted.html").exists()


def test_a_changed_backup_file_is_refused_before_anything_is_written(app, tmp_path):
    backup = tmp_path / "backup"
    with instance(app, tmp_path / "source") as source:
        _seed(source)
        assert flask(source, "backup", str(backup)).exit_code == 0
    poster = backup / "media" / "assets" / "1" / "poster.jpg"
    poster.write_bytes(b"\xff\xd8tampered")
    with instance(app, tmp_path / "target") as target:
        result = flask(target, "restore", str(backup))
        assert result.exit_code != 0
        assert "校验和不符" in result.output
        with target.app_context():
            assert all(n == 0 for name, n in row_counts().items() if name != "alembic_version")
        assert not list(Path(target.config["MEDIA_ROOT"]).rglob("*.jpg"))


def test_a_backup_goes_only_into_a_new_folder(app, tmp_path):
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    with instance(app, tmp_path / "source") as source:
        result = flask(source, "backup", str(occupied))
    assert result.exit_code != 0
    assert "不是空目录" in result.output
    assert (occupied / "keep.txt").read_text() == "mine"
