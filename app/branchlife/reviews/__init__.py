"""民主评议党员: a yearly round per 党支部 — self-assessments, a secret ballot in a window the server's
clock keeps, a tally, and the final grades the branch records (sent on as ``review_graded``)."""


def init_app(app) -> None:
    from app.branchlife.reviews import models, panels
    from app.branchlife.reviews.views import bp

    app.register_blueprint(bp)
    panels.register_review_panels()
    del models  # imported for its tables
