"""Media pipeline: resumable uploads, probing, the rendition ladder, ffmpeg transcoding on Celery
workers, and protected serving. It knows nothing of courses: it sends ``media_ready`` and
``media_failed``, and asks registered viewer checks who may watch an asset."""


def init_app(app) -> None:
    from app.core.tasks import schedule
    from media_pipeline import models, tasks  # noqa: F401 -- the tables and the tasks
    from media_pipeline.cli import media_cli
    from media_pipeline.services.reading import state_label
    from media_pipeline.tasks import check_visibility_timeout
    from media_pipeline.views import bp

    check_visibility_timeout(app.config)
    app.register_blueprint(bp)
    app.add_template_global(state_label, "media_state_label")
    app.cli.add_command(media_cli)
    # On the default queue: the media queue may be busy with hours of transcoding. Every minute by
    # default: a job whose worker died is queued again once its lease lapses (issue 20, item 4).
    schedule(
        app, "media-sweep", "media_pipeline.sweep", float(app.config["MEDIA_SWEEP_SECONDS"]), queue="default"
    )
