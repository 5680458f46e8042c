"""Demo knowledge base for ``flask seed-demo``: the five columns (党章党规, 党史, 理论学习, 支部工作,
业务知识) with articles written by the demo trainers and approved by the administrator. The text
lives in ``demo_content/*.md``: one file per column, each article starting with a ``# 标题`` line
and a ``标签：`` line. Idempotent: a category or article whose name exists is left alone.
"""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app.accounts.models import User
from app.core.clock import utcnow
from app.extensions import db
from app.kb import authoring, services
from app.kb.models import Article, ArticleCategory

CONTENT = Path(__file__).parent / "demo_content"
#: (category, its file, the trainer who writes its articles)
COLUMNS = [
    ("党章党规", "dangzhang.md", "T0002"),
    ("党史", "dangshi.md", "T0003"),
    ("理论学习", "lilun.md", "T0001"),
    ("支部工作", "zhibu.md", "T0004"),
    ("业务知识", "yewu.md", "T0005"),
]
TAGS_PREFIX = "标签："


@dataclass
class DemoArticle:
    title: str
    tags: list[str]
    body: str

    @property
    def summary(self) -> str:
        """The first paragraph, clipped: what the list shows under the title."""
        first = next((p for p in self.body.split("\n\n") if p and not p.startswith("#")), "")
        return first if len(first) <= 120 else first[:118] + "……"


def read_articles(path: Path) -> list[DemoArticle]:
    """The articles of one column file, in file order."""
    articles: list[DemoArticle] = []
    for chunk in ("\n" + path.read_text(encoding="utf-8")).split("\n# ")[1:]:
        title, _, rest = chunk.partition("\n")
        tag_line, _, body = rest.lstrip("\n").partition("\n")
        if not tag_line.startswith(TAGS_PREFIX):
            raise ValueError(f"{path.name}: 《{title}》 lacks its {TAGS_PREFIX} line")
        tags = [t for t in tag_line.removeprefix(TAGS_PREFIX).split("、") if t]
        articles.append(DemoArticle(title.strip(), tags, body.strip() + "\n"))
    return articles


def _category(name: str, admin: User) -> ArticleCategory:
    existing = db.session.scalar(
        sa.select(ArticleCategory).where(ArticleCategory.name == name, ArticleCategory.parent_id.is_(None))
    )
    return existing or services.create_category(name, None, admin)


def seed_demo_kb() -> int:
    """Create the demo columns and articles that are missing; returns how many articles were added."""
    users = {u.employee_no: u for u in db.session.scalars(sa.select(User).where(User.employee_no.like("T%")))}
    admin = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
    if admin is None:
        return 0
    existing = set(db.session.scalars(sa.select(Article.title)))
    now, made = utcnow(), 0
    for name, filename, writer_no in COLUMNS:
        category = _category(name, admin)
        writer = users.get(writer_no, admin)
        for article in read_articles(CONTENT / filename):
            if article.title in existing:
                continue
            row = authoring.create_article(
                writer, article.title, article.body, article.summary, category, article.tags, "draft"
            )
            # Approved straight from the draft: no review request lands in the approvers' inboxes
            # for articles that are already live; the writer is told that theirs is published.
            authoring.approve_article(row, admin)
            # Spread over the last weeks, so the lists read like a column that has been running.
            row.published_at = now - timedelta(days=2 * made + 1, hours=made % 7)
            made += 1
    db.session.flush()
    return made
