"""``flask backup PATH`` and ``flask restore PATH``: a consistent snapshot of the database and the
media store, and its restoration into an empty instance.

A backup is a folder::

    PATH/manifest.json      what was saved: schema revision, row counts per table, and every file
                            below with its size and SHA-256
    PATH/database.sqlite3   SQLite: a copy made with SQLite's online backup API (consistent while
                            the site keeps running and writing)
    PATH/database.pgdump    PostgreSQL: ``pg_dump --format=custom`` (one transaction, consistent)
    PATH/media/...          the local media store's files (MEDIA_ROOT), as they were
    PATH/folders/<SETTING>/ the files of a domain's upload folder set outside MEDIA_ROOT by a
                            setting named ``*_UPLOAD_DIR`` (``KB_UPLOAD_DIR``...): restored into the
                            folder the same setting names on the target

With media on object storage (``MEDIA_STORAGE=s3``) no object of the bucket is copied: the manifest
lists them instead (key, size, ETag), the bucket being backed up by the storage service's own means
(versioning, replication); restore then checks that the bucket still holds every one of them. The
files other domains keep under MEDIA_ROOT are copied as always, the media pipeline's scratch space
(uploads in progress, transcodes) is not.

Restore checks every checksum before it writes anything, refuses a database or media folder that
already holds data (it restores into an empty instance, it never merges), and ends by verifying
the hours ledger's hash chains, so a snapshot taken of a tampered ledger is caught on the way back.
"""

import hashlib
import json
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from app.extensions import db

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA_DIR = "media"
FOLDERS_DIR = "folders"
#: A setting whose name ends so names a folder of kept uploads (empty: a folder under MEDIA_ROOT).
UPLOAD_DIR_SUFFIX = "_UPLOAD_DIR"
CHUNK = 1024 * 1024


class BackupError(click.ClickException):
    """A backup or restore refused, with the reason in the operator's words."""


#: Integrity checks run after a restore, by name: each yields a line per problem found. Domains
#: with tamper-evident ledgers register theirs from ``init_app`` (records: the hours ledger).
_integrity_checks: dict[str, Callable[[], Iterable[str]]] = {}


def register_integrity_check(name: str, check: Callable[[], Iterable[str]]) -> None:
    _integrity_checks[name] = check


def integrity_checks() -> dict[str, Callable[[], Iterable[str]]]:
    """The registered checks by name (the nightly verification runs them all)."""
    return dict(_integrity_checks)


#: The media store's object listing when it is not a local folder: a callable returning
#: ``[{"key", "size", "etag"}, ...]`` (with ``referenced=True``, only the objects the database
#: points to; else every object), or ``None`` for a local store (whose files are copied), and the
#: MEDIA_ROOT folders that are then scratch space only. The media domain registers it.
_remote_media: list[tuple[Callable[[bool], list[dict] | None], tuple[str, ...]]] = []


def register_remote_media(
    listing: Callable[[bool], list[dict] | None], scratch: tuple[str, ...] = ()
) -> None:
    _remote_media[:] = [(listing, scratch)]


def _remote_media_objects(referenced: bool) -> list[dict] | None:
    return _remote_media[0][0](referenced) if _remote_media else None


@dataclass(frozen=True)
class SavedFile:
    path: str
    size: int
    sha256: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files_below(root: Path) -> Iterator[Path]:
    if root.is_dir():
        yield from sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _upload_folders_outside_media() -> dict[str, Path]:
    """The upload folders set by a ``*_UPLOAD_DIR`` setting outside MEDIA_ROOT, by setting."""
    media_root = Path(current_app.config["MEDIA_ROOT"]).resolve()
    folders = {}
    for setting, value in sorted(current_app.config.items()):
        if setting.endswith(UPLOAD_DIR_SUFFIX) and value:
            folder = Path(value).resolve()
            if folder != media_root and media_root not in folder.parents:
                folders[setting] = folder
    return folders


def _copy_tree(source: Path, target: Path, skip: set[str] = frozenset()) -> None:
    """Copy the files below ``source`` to ``target``, less the top-level folders named in ``skip``."""
    for path in _files_below(source):
        relative = path.relative_to(source)
        if relative.parts[0] in skip:
            continue
        copy = target / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)


def row_counts(connection: sa.Connection | None = None) -> dict[str, int]:
    """Rows per table of the application's schema (and Alembic's revision table), read on
    ``connection`` (one snapshot) or on the session."""
    bind = connection if connection is not None else db.session.connection()
    counts = {}
    for name in sorted(sa.inspect(bind).get_table_names()):
        counts[name] = bind.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
    return counts


def _revision(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _libpq_url() -> str:
    """The database URL as pg_dump and pg_restore read it (no SQLAlchemy driver name)."""
    url = db.engine.url
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path() -> Path:
    return Path(db.engine.url.database or "")


def _dump_database(target: Path) -> tuple[str, dict[str, int], str | None]:
    """Dump the database into ``target``: the file's name, and the row counts and schema revision
    of exactly what was dumped (read from the copy, or inside the dump's own snapshot)."""
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        out = target / SQLITE_FILE
        source, copy = sqlite3.connect(_sqlite_path()), sqlite3.connect(out)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        engine = sa.create_engine(f"sqlite:///{out}")
        try:
            with engine.connect() as conn:
                return SQLITE_FILE, row_counts(conn), _revision(conn)
        finally:
            engine.dispose()
    if dialect == "postgresql":
        out = target / PG_FILE
        engine = db.engine.execution_options(isolation_level="REPEATABLE READ")
        with engine.connect() as conn, conn.begin():
            # pg_dump reads the very snapshot the counts are taken in: they describe the dump.
            snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
            counts, revision = row_counts(conn), _revision(conn)
            command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges"]
            _run([*command, f"--snapshot={snapshot}", f"--file={out}", _libpq_url()])
        return PG_FILE, counts, revision
    raise BackupError(_("不支持备份 %(dialect)s 数据库。", dialect=dialect))


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as exc:
        raise BackupError(
            _("找不到 %(command)s：请安装 PostgreSQL 客户端（postgresql-client）。", command=command[0])
        ) from exc
    except subprocess.CalledProcessError as exc:
        raise BackupError(
            _("%(command)s 失败：%(error)s", command=command[0], error=exc.stderr.strip()[-500:])
        ) from exc


def create_backup(target: Path) -> dict:
    """Write a backup of this instance into ``target`` (a new or empty folder); return its manifest."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(_("%(path)s 不是空目录：请指定一个新目录。", path=target))
    target.mkdir(parents=True, exist_ok=True)
    db.session.rollback()  # the dump reads committed data only, on a connection of its own
    database_file, counts, revision = _dump_database(target)
    media_objects = _remote_media_objects(referenced=True)
    scratch = set(_remote_media[0][1]) if media_objects is not None else set()
    _copy_tree(Path(current_app.config["MEDIA_ROOT"]), target / MEDIA_DIR, skip=scratch)
    for setting, folder in _upload_folders_outside_media().items():
        _copy_tree(folder, target / FOLDERS_DIR / setting)
    files = [
        SavedFile(str(p.relative_to(target)), p.stat().st_size, _sha256(p)).__dict__
        for p in _files_below(target)
    ]
    manifest = {
        "format": 1,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {"dialect": db.engine.dialect.name, "file": database_file, "revision": revision},
        "row_counts": counts,
        "files": files,
    }
    manifest["upload_dirs_outside"] = sorted(_upload_folders_outside_media())
    if media_objects is not None:
        manifest["media_objects"] = media_objects
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def read_manifest(source: Path) -> dict:
    """The backup's manifest, after checking that every file it lists is there and unchanged."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        files = [SavedFile(**entry) for entry in manifest["files"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(
            _("%(path)s 不是可读的备份（缺少或损坏 %(manifest)s）。", path=source, manifest=MANIFEST)
        ) from exc
    for saved in files:
        path = (source / saved.path).resolve()
        if not path.is_relative_to(source.resolve()):
            raise BackupError(_("备份清单中的路径越界：%(path)s", path=saved.path))
        if not path.is_file() or path.stat().st_size != saved.size or _sha256(path) != saved.sha256:
            raise BackupError(
                _("备份文件缺失或已被改动：%(path)s（校验和不符），未恢复任何内容。", path=saved.path)
            )
    return manifest


def _instance_is_empty() -> bool:
    counts = row_counts()
    return all(n == 0 for name, n in counts.items() if name != "alembic_version")


def _restore_database(source: Path, manifest: dict) -> None:
    saved = manifest["database"]
    dialect = db.engine.dialect.name
    if saved["dialect"] != dialect:
        raise BackupError(
            _("备份来自 %(saved)s 数据库，不能恢复到 %(dialect)s。", saved=saved["dialect"], dialect=dialect)
        )
    db.session.remove()
    if dialect == "sqlite":
        db.engine.dispose()
        target = sqlite3.connect(_sqlite_path())
        try:
            backup = sqlite3.connect(source / saved["file"])
            with target:
                backup.backup(target)
            backup.close()
        finally:
            target.close()
    else:
        # A migrated but empty schema is dropped first: pg_restore recreates every table itself.
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        db.engine.dispose()
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                f"--dbname={_libpq_url()}",
                str(source / saved["file"]),
            ]
        )


def _listed_below(manifest: dict, prefix: str) -> list[PurePosixPath]:
    """The files the manifest lists under ``prefix`` (checked by :func:`read_manifest`), relative to
    it: only these are restored, whatever else lies in the backup's folder."""
    paths = (PurePosixPath(entry["path"]) for entry in manifest["files"])
    return [p.relative_to(prefix) for p in paths if p.parts[0] == prefix]


def _folder_targets(manifest: dict) -> dict[str, Path]:
    """Where each saved upload folder goes on this instance, by setting; refused (before anything is
    written) when its setting is not set here or points at a folder that holds files, or when this
    instance keeps outside MEDIA_ROOT a folder the backup kept inside it (its files would land in
    MEDIA_ROOT, where nothing reads them)."""
    saved = sorted({p.parts[0] for p in _listed_below(manifest, FOLDERS_DIR)})
    targets = {}
    for setting in saved:
        configured = current_app.config.get(setting)
        if not setting.endswith(UPLOAD_DIR_SUFFIX) or not configured:
            raise BackupError(
                _("备份含有 %(setting)s 目录中的文件：请先在本实例设置 %(setting)s。", setting=setting)
            )
        target = Path(configured)
        if any(_files_below(target)):
            raise BackupError(_("目录 %(path)s 不是空的：只能恢复到空的实例。", path=target))
        targets[setting] = target
    if "upload_dirs_outside" in manifest:
        for setting in _upload_folders_outside_media():
            if setting not in manifest["upload_dirs_outside"]:
                raise BackupError(
                    _(
                        "备份时 %(setting)s 的文件在媒体目录中，本实例却把它设在媒体目录之外："
                        "请先去掉本实例的 %(setting)s 设置再恢复，之后再迁移这些文件。",
                        setting=setting,
                    )
                )
    return targets


def _restore_files(source: Path, manifest: dict) -> int:
    media_root = Path(current_app.config["MEDIA_ROOT"])
    if any(_files_below(media_root)):
        raise BackupError(_("媒体目录 %(path)s 不是空的：只能恢复到空的实例。", path=media_root))
    folders = _folder_targets(manifest)
    copies = [(source / MEDIA_DIR / rel, media_root / rel) for rel in _listed_below(manifest, MEDIA_DIR)]
    for rel in _listed_below(manifest, FOLDERS_DIR):
        setting, inside = rel.parts[0], rel.relative_to(rel.parts[0])
        copies.append((source / FOLDERS_DIR / rel, folders[setting] / inside))
    for saved, target in copies:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(saved, target)
    return len(copies)


def _check_remote_media(saved: list[dict]) -> None:
    """A backup of media on object storage: the bucket must still hold every object it lists."""
    present = _remote_media_objects(referenced=False)  # the target's database is still empty
    if present is None:
        raise BackupError(_("该备份的媒体文件在对象存储中：请先将 MEDIA_STORAGE 设为 s3 并配置存储桶。"))
    have = {item["key"]: item["etag"] for item in present}
    missing = [item["key"] for item in saved if have.get(item["key"]) != item["etag"]]
    if missing:
        raise BackupError(
            _(
                "对象存储中缺少备份所列的 %(n)s 个媒体对象（如 %(key)s），未恢复任何内容。",
                n=len(missing),
                key=missing[0],
            )
        )


def restore_backup(source: Path) -> dict:
    """Restore ``source`` into this (empty) instance; return the manifest restored."""
    manifest = read_manifest(source)
    if not _instance_is_empty():
        raise BackupError(_("当前数据库已有数据：只能恢复到空的实例（新建数据库后再恢复）。"))
    if "media_objects" in manifest:
        _check_remote_media(manifest["media_objects"])
    _restore_files(source, manifest)
    _restore_database(source, manifest)
    restored = row_counts()
    if restored != manifest["row_counts"]:
        differing = sorted(
            k
            for k in restored.keys() | manifest["row_counts"].keys()
            if restored.get(k) != manifest["row_counts"].get(k)
        )
        raise BackupError(_("恢复后的行数与备份不符：%(tables)s", tables=", ".join(differing[:10])))
    return manifest


@click.command("backup")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """Write a consistent backup of the database and the media store into PATH (a new folder)."""
    manifest = create_backup(path)
    rows = sum(manifest["row_counts"].values())
    tables, files = len(manifest["row_counts"]), len(manifest["files"])
    click.echo(
        _(
            "备份完成：%(path)s（%(tables)s 张表，%(rows)s 行，%(files)s 个文件）。",
            path=path,
            tables=tables,
            rows=rows,
            files=files,
        )
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(path: Path):
    """Restore the backup in PATH into this empty instance, then run every integrity check."""
    manifest = restore_backup(path)
    click.echo(
        _(
            "已恢复 %(when)s 的备份（%(tables)s 张表）。",
            when=manifest["created_at"],
            tables=len(manifest["row_counts"]),
        )
    )
    problems = [f"{name}: {line}" for name, check in _integrity_checks.items() for line in check()]
    for line in problems[:50]:
        click.echo(line, err=True)
    if problems:
        raise BackupError(_("恢复完成，但完整性校验发现 %(n)s 处问题。", n=len(problems)))
    click.echo(_("完整性校验通过：%(checks)s。", checks=", ".join(_integrity_checks) or "-"))
