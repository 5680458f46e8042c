"""Members' works column (党员风采 / 作品): articles, photo sets and short videos, reviewed before they
are published; likes, comments (reported into the moderation queue Q&A's page shows, see
``moderation``), featured works on the home page.

Modules: ``models``, ``services``, ``views``, ``forms``, ``panels``, ``search``. The API resource is
:mod:`app.api.works`.
"""


def init_app(app) -> None:
    from app.works import models, moderation, panels, search, services  # noqa: F401 -- the tables
    from app.works.views import bp
    from media_pipeline.services import register_viewer_check

    app.register_blueprint(bp)
    search.register_search()
    panels.register_works_panels()
    register_viewer_check(services.can_view_work_media)
    moderation.register()  # reported comments in the site's moderation queue
