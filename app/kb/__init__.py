"""Knowledge-base column (知识百科 / 党课文章): Markdown articles, categories, tags, revisions, review."""


def init_app(app) -> None:
    from app.kb import models, panels, search
    from app.kb.views import bp

    app.register_blueprint(bp)
    search.register_search()
    panels.register_kb_panels()
    del models  # imported for its tables
