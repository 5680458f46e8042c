"""Home page: the featured works (shown only when there are some)."""

from app.extensions import db
from app.portal.panels import register_panel
from app.works import services


def featured_works(user):
    works = db.session.scalars(services.published_query(featured_only=True).limit(4)).unique().all()
    return ("works/panels/featured.html", {"works": works}) if works else None


def register_works_panels() -> None:
    register_panel("works.featured", featured_works, roles=("member",), order=45)
