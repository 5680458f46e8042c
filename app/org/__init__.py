"""The Party organisation: the branch tree (党委 → 党总支 → 党支部) and coordinator scope."""


def init_app(app) -> None:
    from app.org import models  # noqa: F401 -- the tables
    from app.org.views import bp

    app.register_blueprint(bp)
