"""Q&A column (党务问答): questions, answers, comments, votes, experts by tag, moderation."""


def init_app(app) -> None:
    from app.qa import models, panels, search
    from app.qa.views import bp

    app.register_blueprint(bp)
    search.register_search()
    panels.register_qa_panels()
    del models  # imported for its tables
