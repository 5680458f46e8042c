"""Media on S3-compatible object storage (issue 19, item 1), against the run's SeaweedFS server:
run with ``MEDIA_STORAGE=s3`` (scripts/test does, for the media suite). The whole media suite runs
on the bucket then; these tests check what only object storage has: presigned URLs, prefixes left by
a worker killed mid-upload, the bucket's manifest in a backup, and the bucket in the readiness probe."""

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest

from app.core.backup import BackupError, create_backup, restore_backup
from app.extensions import db
from media_pipeline import services
from media_pipeline.models import AssetStatus, MediaAsset
from media_pipeline.storage import S3MediaStore
from tests.conftest import media_on_s3
from tests.core.test_backup import instance
from tests.helpers import config_set, fetch_url
from tests.media_pipeline.test_chunks import chunked, long_source  # noqa: F401
from tests.media_pipeline.test_playback import bare, lesson_media, path, playback_of, uris  # noqa: F401
from tests.media_pipeline.test_transcode import check_outputs

pytestmark = pytest.mark.skipif(not media_on_s3(), reason="object storage: run with MEDIA_STORAGE=s3")


def _objects(prefix: str) -> list[str]:
    store = services.media_store()
    return sorted(item["key"] for item in store.manifest() if item["key"].startswith(prefix))


def _first_segment(player, urls) -> tuple[str, str]:
    """The signed URL of the first segment of the first variant, and the presigned URL it leads to."""
    variant_url = urljoin(urls["hls"], uris(player.get(path(urls["hls"])).get_data(as_text=True))[0])
    segment_url = urljoin(variant_url, uris(player.get(path(variant_url)).get_data(as_text=True))[0])
    answer = player.get(path(segment_url))
    assert answer.status_code == 302
    return segment_url, answer.headers["Location"]


def test_a_presigned_segment_fetched_with_no_cookie_plays(app, client, lesson_media, tmp_path):  # noqa: F811
    lesson, asset, member = lesson_media
    urls = playback_of(client, lesson, member)
    player = bare(app)
    _segment_url, presigned = _first_segment(player, urls)
    assert presigned.startswith(app.config["MEDIA_S3_ENDPOINT_URL"])
    assert f"/{asset.output_dir}/" in presigned  # the object of the version the row points to
    fetched = fetch_url(presigned)  # no cookie, no header: what a native player sends
    assert fetched.status_code == 200
    assert fetched.mimetype == "video/mp2t"
    segment = tmp_path / "segment.ts"
    segment.write_bytes(fetched.data)
    streams = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", str(segment)],
            check=True,
            capture_output=True,
            timeout=60,
        ).stdout
    )["streams"]
    assert {s["codec_name"] for s in streams} >= {"h264", "aac"}
    # The presigned URL lives no longer than the token (and at most an hour).
    expires = int(dict(parse_qsl(urlsplit(presigned).query))["X-Amz-Expires"])
    assert 0 < expires <= 3600


def test_an_altered_token_or_presigned_signature_is_refused(app, client, lesson_media):  # noqa: F811
    lesson, _asset, member = lesson_media
    urls = playback_of(client, lesson, member)
    player = bare(app)
    segment_url, presigned = _first_segment(player, urls)
    token = path(segment_url).split("/")[3]
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert player.get(path(segment_url).replace(token, altered)).status_code == 403  # no redirect at all
    parts = urlsplit(presigned)
    query = dict(parse_qsl(parts.query))
    signature = query["X-Amz-Signature"]
    query["X-Amz-Signature"] = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert fetch_url(urlunsplit(parts._replace(query=urlencode(query)))).status_code == 403
    bare_object = urlunsplit(parts._replace(query=""))  # the object's URL with no signature at all
    assert fetch_url(bare_object).status_code in (401, 403)


def test_an_expired_token_gets_no_redirect(app, client, lesson_media, clock):  # noqa: F811
    lesson, _asset, member = lesson_media
    with config_set(app, PLAYBACK_URL_TTL_SECONDS=600, PLAYBACK_URL_BUCKET_SECONDS=60):
        urls = playback_of(client, lesson, member)
    player = bare(app)
    segment_url, presigned = _first_segment(player, urls)
    expires = int(dict(parse_qsl(urlsplit(presigned).query))["X-Amz-Expires"])
    assert expires <= 660  # min(the token's remaining life, 1 h)
    clock.advance(timedelta(minutes=12).total_seconds())
    assert player.get(path(segment_url)).status_code == 403


@pytest.fixture
def downloads(monkeypatch) -> list[str]:
    """The keys this test downloads from the bucket, in order (the store's one way down)."""
    keys: list[str] = []
    real = S3MediaStore.download

    def counted(self, key, target):
        keys.append(key)
        return real(self, key, target)

    monkeypatch.setattr(S3MediaStore, "download", counted)
    return keys


def test_the_chunk_tasks_of_one_machine_download_the_original_once(
    app,
    own_bucket,
    long_source,  # noqa: F811 -- test_chunks's fixtures, imported
    chunked,  # noqa: F811
    downloads,
):
    asset = services.ingest_file(
        long_source, "lecture.mp4", None, None, move=False, commit=db.session.commit, enqueue=lambda _id: None
    )
    # This machine's copies start empty (an earlier test may have left the same bytes under the same key).
    shutil.rmtree(Path(app.config["MEDIA_ROOT"]) / "cache", ignore_errors=True)
    jobs: list[services.ChunkJob] = []
    assert (
        services.process_asset(asset.id, holder="w", commit=db.session.commit, dispatch=jobs.append)
        == "chunked"
    )
    downloads.clear()  # the splitting run read it once; now the chunk tasks and the join
    job = jobs[-1]
    outcomes = [services.encode_chunk(asset.id, job.key, i, commit=db.session.commit) for i in job.todo]
    assert outcomes[-1] == "join"
    assert services.join_asset_chunks(asset.id, job.key, commit=db.session.commit) == "ready"
    assert downloads.count(asset.original_path) == 1  # not once per chunk
    check_outputs(db.session.get(MediaAsset, asset.id, populate_existing=True))


def test_a_received_upload_is_probed_from_the_disk_it_arrived_on(
    app, own_bucket, media_files, tmp_path, downloads
):
    """The upload request stored the file in the bucket, then downloaded it back to probe it: twice
    the file's size of transfer while the trainer waited. It is probed where it arrived, then gone."""
    received = tmp_path / "received.part"
    shutil.copyfile(media_files.get("landscape.mp4"), received)
    asset = services.ingest_file(
        received, "lecture.mp4", None, None, move=True, commit=db.session.commit, enqueue=lambda _id: None
    )
    assert asset.status is AssetStatus.TRANSCODING  # probed: its facts are known
    assert (asset.width, asset.height) == (1280, 720)
    assert downloads == []
    assert not received.exists()  # moved: the bucket holds it now
    assert _objects(f"originals/{asset.id}/") == [asset.original_path]


def _publish_with_a_crash_mid_upload(monkeypatch, asset_id: int) -> None:
    """Run the asset's transcode with the upload of its outputs failing after three files: a worker
    killed mid-upload (the row is never switched; what was uploaded stays behind)."""
    real = S3MediaStore._upload
    uploaded: list[str] = []

    def flaky(self, source, key):
        if key.startswith("assets/") and len(uploaded) >= 3:
            raise OSError(5, "connection reset by peer")
        if key.startswith("assets/"):
            uploaded.append(key)
        return real(self, source, key)

    with monkeypatch.context() as patch:
        patch.setattr(S3MediaStore, "_upload", flaky)
        patch.setattr(S3MediaStore, "THREADS", 1)
        with pytest.raises(OSError, match="connection reset"):
            services.process_asset(asset_id, holder="killed", commit=db.session.commit)


@pytest.fixture
def own_bucket(app, s3_server):
    """A bucket for this test alone: what the sweeper finds there is this test's."""
    with config_set(app, MEDIA_S3_BUCKET=s3_server.create_bucket()):
        yield


def _past_the_grace(monkeypatch) -> None:
    """As if the grace period had passed (the clock is not moved: S3 refuses requests signed at a
    time far from its own)."""
    monkeypatch.setattr("media_pipeline.services.sweeping.OLD_OUTPUT_GRACE", timedelta(0))


def test_a_crash_mid_upload_leaves_no_half_prefix_served_and_the_sweeper_removes_it(
    app, own_bucket, ingest, monkeypatch
):
    monkeypatch.setitem(app.config, "MEDIA_PUBLISH_EARLY", False)  # one publish: the whole ladder
    asset = ingest("landscape.mp4")
    _publish_with_a_crash_mid_upload(monkeypatch, asset.id)
    crashed = db.session.get(MediaAsset, asset.id, populate_existing=True)
    assert crashed.output_dir is None  # the row never points at the half-uploaded prefix
    assert crashed.status == AssetStatus.TRANSCODING
    orphans = services.media_store().output_dirs(asset.id)
    assert len(orphans) == 1
    assert _objects(orphans[0] + "/")

    assert services.process_asset(asset.id, holder="retry", commit=db.session.commit) == "ready"
    done = db.session.get(MediaAsset, asset.id, populate_existing=True)
    check_outputs(done)  # the prefix the row points to is whole
    published = set(_objects(done.output_dir + "/"))
    for rendition in done.renditions:
        assert f"{done.output_dir}/{rendition.path}" in published
    assert f"{done.output_dir}/{done.master_playlist}" in published

    services.sweep()  # within the grace period: kept
    assert _objects(orphans[0] + "/")
    _past_the_grace(monkeypatch)
    report = services.sweep()
    db.session.commit()
    assert report.outputs_removed == 1
    assert not _objects(orphans[0] + "/")  # the orphan prefix is gone
    assert set(_objects(done.output_dir + "/")) == published  # the served one is untouched


def test_a_retranscode_keeps_the_old_version_serving_until_the_switch(
    app, own_bucket, processed, monkeypatch
):
    _outcome, asset = processed("tiny.3gp")
    old = asset.output_dir
    services.prepare_rerun(asset, None)
    db.session.commit()
    _publish_with_a_crash_mid_upload(monkeypatch, asset.id)
    assert db.session.get(MediaAsset, asset.id, populate_existing=True).output_dir == old
    assert _objects(old + "/")  # the old version still serves
    assert services.process_asset(asset.id, holder="retry", commit=db.session.commit) == "ready"
    new = db.session.get(MediaAsset, asset.id, populate_existing=True).output_dir
    assert new != old
    _past_the_grace(monkeypatch)
    services.sweep()
    db.session.commit()
    assert services.media_store().output_dirs(asset.id) == [new]  # the old one and the orphan swept


@pytest.mark.integration  # instances of their own, committed (as tests/core/test_backup.py)
def test_backup_writes_the_bucket_manifest_and_restore_checks_the_bucket(app, s3_server, tmp_path):
    bucket = s3_server.create_bucket()
    work = tmp_path / "work"
    (work / "360p").mkdir(parents=True)
    (work / "master.m3u8").write_text("#EXTM3U\n")
    (work / "360p" / "seg_00000.ts").write_bytes(b"\x47" * 188 * 10)
    with instance(app, tmp_path / "source") as source:
        source.config["MEDIA_S3_BUCKET"] = bucket
        with source.app_context():
            store = services.media_store()
            key = store.publish(work, 1)
            asset = MediaAsset(
                original_filename="党课.mp4",
                status=AssetStatus.READY,
                output_dir=key,
                master_playlist="master.m3u8",
            )
            db.session.add(asset)
            db.session.commit()
            # a chunk part of a run in progress: the sweeper removes such objects, so no backup needs them
            chunk_part = f"chunks/{asset.id}/plan/manifest.json"
            store.write_text(chunk_part, "{}")
            manifest = create_backup(tmp_path / "backup")
    objects = {item["key"]: item for item in manifest["media_objects"]}
    assert set(objects) == {f"{key}/master.m3u8", f"{key}/360p/seg_00000.ts"}
    s3_server.client().delete_object(Bucket=bucket, Key=chunk_part)  # swept: the restore still passes
    assert objects[f"{key}/360p/seg_00000.ts"]["size"] == 1880
    assert all(len(item["etag"]) >= 32 for item in objects.values())
    assert not (tmp_path / "backup" / "media").exists()  # no media files: the bucket keeps them
    assert not any(entry["path"].startswith("media/") for entry in manifest["files"])

    with instance(app, tmp_path / "target") as target:
        target.config["MEDIA_S3_BUCKET"] = bucket
        with target.app_context():
            assert restore_backup(tmp_path / "backup")["media_objects"] == manifest["media_objects"]
    s3_server.client().delete_object(Bucket=bucket, Key=f"{key}/360p/seg_00000.ts")
    with instance(app, tmp_path / "second") as second:
        second.config["MEDIA_S3_BUCKET"] = bucket
        with second.app_context(), pytest.raises(BackupError, match="缺少"):
            restore_backup(tmp_path / "backup")


def test_readyz_checks_the_bucket(app, client):
    assert client.get("/readyz").status_code == 200
    with config_set(app, MEDIA_S3_BUCKET="no-such-bucket-hongke"):
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["failed"] == ["media"]
