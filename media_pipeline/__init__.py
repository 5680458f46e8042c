"""Media pipeline: resumable uploads, probing, the rendition ladder, ffmpeg transcoding on Celery
workers, and protected serving. It knows nothing of courses: it sends ``media_ready`` and
``media_failed``, and asks registered viewer checks who may watch an asset."""


def init_app(app) -> None:
    from app.core.backup import register_remote_media
    from app.core.tasks import schedule
    from app.portal.probes import register_readiness_check
    from media_pipeline import models, tasks  # noqa: F401 -- the tables and the tasks
    from media_pipeline.cli import media_cli
    from media_pipeline.services.common import media_store
    from media_pipeline.services.reading import state_label
    from media_pipeline.tasks import check_visibility_timeout
    from media_pipeline.views import bp

    check_visibility_timeout(app.config)
    # The store answers for itself: a writable MEDIA_ROOT, or the bucket (head_bucket) with S3.
    register_readiness_check("media", lambda: media_store().check_ready())
    register_remote_media(_remote_media_objects, scratch=("uploads", "work", "chunks", "cache"))
    app.register_blueprint(bp)
    app.add_template_global(state_label, "media_state_label")
    app.cli.add_command(media_cli)
    # On the default queue: the media queue may be busy with hours of transcoding. Every minute by
    # default: a job whose worker died is queued again once its lease lapses (issue 20, item 4).
    schedule(
        app, "media-sweep", "media_pipeline.sweep", float(app.config["MEDIA_SWEEP_SECONDS"]), queue="default"
    )


def _remote_media_objects(referenced: bool) -> list[dict] | None:
    """For ``flask backup``: with S3, the bucket's objects (key, size, ETag), with ``referenced``
    only those the database points to (originals and published output folders); ``None`` for
    local. A backup records only those: chunk parts, orphans of a crashed run and replaced versions
    are removed by the sweeper by design, and a restore that required them would refuse a day-old
    backup."""
    import sqlalchemy as sa

    from app.extensions import db
    from media_pipeline.models import MediaAsset
    from media_pipeline.services.common import media_store

    store = media_store()
    if not store.is_remote:
        return None
    if not referenced:
        return store.manifest()
    rows = db.session.execute(sa.select(MediaAsset.original_path, MediaAsset.output_dir)).all()
    originals = {original for original, _output in rows if original}
    outputs = {output.rstrip("/") for _original, output in rows if output}

    def referenced(key: str) -> bool:  # an output folder is assets/<id>/<version>/
        return key in originals or "/".join(key.split("/")[:3]) in outputs

    return [item for item in store.manifest() if referenced(item["key"])]
