"""Search benchmark: 100,000 generated Chinese articles.

Run: ``.venv/bin/python -m bench.search [--docs 100000] [--procs 2]``, with
``DATABASE_URL=postgresql+psycopg://…`` to measure both backends (the articles then go into a
scratch PostgreSQL database, dropped afterwards; without it, SQLite and Whoosh only). In one run,
on one machine, for each backend:

- a full rebuild from the database (the function ``flask search rebuild`` calls: rows read through
  the knowledge-base adapter, segmented by jieba in ``--procs`` processes, written by Whoosh):
  documents per second and total time (goal: 100,000 in under 5 minutes);
- p50 / p95 latency of 50 fixed queries through ``search_index.services.search`` as a member
  (permission filter, BM25F, exact total, highlighted snippets of the first page; goal: p95 under
  50 ms), printed beside the naive peer: the same words as ``LIKE '%…%'`` conditions on the
  same table in the same database.

The articles are written straight into the scratch database with bulk INSERTs (the services
would take far longer and are not what is being measured).
"""

import argparse
import itertools
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from bench.records import scratch_database

ROOT = Path(__file__).resolve().parent.parent

TERMS = [
    "三会一课",
    "两学一做",
    "主题党日",
    "组织生活会",
    "民主评议",
    "不忘初心",
    "牢记使命",
    "党支部",
    "党总支",
    "党委",
    "学习强国",
    "党建",
    "信息化",
    "党员",
    "入党积极分子",
    "发展对象",
    "预备党员",
    "党费",
    "党章",
    "党史学习教育",
    "全面从严治党",
    "八项规定",
    "廉洁自律",
    "党风廉政建设",
    "先锋模范作用",
    "战斗堡垒",
    "谈心谈话",
    "批评与自我批评",
    "党课",
    "红色教育",
    "基层党组织",
    "标准化规范化",
    "二十大",
    "新时代",
]
WORDS = [
    "企业",
    "工作",
    "建设",
    "推进",
    "加强",
    "落实",
    "制度",
    "学习",
    "教育",
    "管理",
    "创新",
    "发展",
    "服务",
    "群众",
    "干部",
    "培训",
    "考核",
    "活动",
    "会议",
    "记录",
    "要求",
    "规范",
    "质量",
    "安全",
    "生产",
    "经营",
    "改革",
    "责任",
    "监督",
    "检查",
    "整改",
    "宣传",
    "文化",
    "思想",
    "理论",
    "实践",
    "经验",
    "交流",
    "平台",
    "数字化",
    "智能",
    "系统",
    "数据",
    "流程",
    "效率",
    "队伍",
    "人才",
    "职工",
    "车间",
    "班组",
    "项目",
]
PUNCT = ["，", "，", "，", "。", "；", "、"]

#: 50 fixed queries: Party terms, pairs, phrases, Traditional script, rare words, misses.
QUERIES = [
    "三会一课", "两学一做", "主题党日", "组织生活会", "民主评议", "不忘初心", "党建信息化", "党员 教育",
    "学习强国", '"三会一课"', '"主题党日 活动"', "黨員", "黨建工作", "黨費", "基层党组织 建设",
    "全面从严治党", "八项规定 监督", "廉洁自律", "党风廉政建设 责任", "先锋模范作用", "战斗堡垒 车间",
    "谈心谈话 记录", "批评与自我批评", "党课 培训", "红色教育 活动", "标准化规范化", "二十大 学习",
    "新时代 发展", "预备党员 考核", "入党积极分子 培训", "发展对象", "党费 管理", "党章 学习",
    "党史学习教育", "数字化 平台", "智能 系统 党建", "班组 安全 生产", "项目 质量", "党健",
    "区块链", "信息化 -党费", "党员 OR 干部", "企业 党建 创新", "群众 服务", "经验 交流",
    "整改 落实", "理论 实践", "人才 队伍", "车间", "党",
]  # fmt: skip


def vocabulary(size: int = 30_000) -> tuple[list[str], list[int]]:
    """The ``size`` most frequent words of jieba's own dictionary (2–4 characters), with their
    frequencies: generated text then has the skewed word distribution of real text."""
    import jieba

    rows = []
    with open(Path(jieba.__file__).with_name("dict.txt"), encoding="utf-8") as handle:
        for line in handle:
            word, freq, *_ = line.split()
            if 2 <= len(word) <= 4 and "\u4e00" <= word[0] <= "\u9fff":
                rows.append((int(freq), word))
    rows.sort(reverse=True)
    rows = rows[:size]
    return [w for _, w in rows], [f for f, _ in rows]


def generate(count: int, seed: int = 8):
    """``(id, title, body)``: bodies of 10–40 clauses; one word in 25 is a Party term."""
    rng = random.Random(seed)
    words, weights = vocabulary()
    weights = list(itertools.accumulate(weights))  # cumulative: each draw is a bisection

    def clause() -> str:
        picked = rng.choices(words, cum_weights=weights, k=rng.randint(3, 7))
        return "".join(rng.choice(TERMS) if rng.random() < 0.04 else w for w in picked) + rng.choice(PUNCT)

    for i in range(count):
        title = "".join(
            rng.choice(TERMS) if rng.random() < 0.3 else w
            for w in rng.choices(words, cum_weights=weights, k=rng.randint(2, 5))
        )
        body = "".join(clause() for _ in range(rng.randint(10, 40)))
        yield i + 1, title[:120], body[:-1] + "。"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_articles(count: int) -> None:
    """Bulk INSERTs of ``count`` generated published articles (and their revisions)."""
    from app.extensions import db
    from app.kb.models import Article, ArticleRevision, ArticleStatus

    now = datetime.now(UTC)  # bench data only, not application time
    started = time.perf_counter()
    batch_articles, batch_revisions = [], []
    for id_, title, body in generate(count):
        common = {"title": title, "summary": "", "body": body}
        stamps = {"published_at": now, "created_at": now, "updated_at": now}
        state = {"status": ArticleStatus.PUBLISHED.value, "live_revision_number": 1, "revision_number": 1}
        batch_articles.append({"id": id_, **common, **state, **stamps, "review_note": "", "view_count": 0})
        batch_revisions.append({"article_id": id_, "number": 1, **common, "created_at": now, "note": ""})
        if len(batch_articles) == 5000 or id_ == count:
            db.session.execute(sa.insert(Article.__table__), batch_articles)
            db.session.execute(sa.insert(ArticleRevision.__table__), batch_revisions)
            batch_articles, batch_revisions = [], []
    db.session.commit()
    chars = db.session.scalar(sa.select(sa.func.sum(sa.func.length(Article.body))))
    print(f"generated {count:,} articles ({chars / count:.0f} characters of body on average) "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip


VIEWER = dict(user_id=1, roles=frozenset({"member"}), is_admin=False, branch_path="/1/2/", manage_prefix=None)


def measure_backend(app, name: str, procs: int) -> tuple[list[float], list[int]]:
    """Rebuild with backend ``name``, then time the fixed queries through the search service."""
    from search_index import indexing, services
    from search_index.backend import Viewer
    from search_index.engine import get_backend

    app.config["SEARCH_BACKEND"] = name
    started = time.perf_counter()
    written = indexing.rebuild(procs=procs)
    elapsed = time.perf_counter() - started
    count = sum(written.values())
    workers = f"{procs} processes" if name == "whoosh" else "1 process, then SQL"
    print(
        f"{name}: full rebuild from the database ({workers}): {count:,} documents in "
        f"{elapsed:.1f} s = {count / elapsed:,.0f} docs/s   (goal: 100,000 in < 300 s)"
    )
    viewer = Viewer(**VIEWER)
    get_backend().close()
    services.search(viewer, "预热")  # open the index once, as a running web process has
    timings, totals = [], []
    for query in QUERIES:
        started = time.perf_counter()
        result = services.search(viewer, query)
        timings.append((time.perf_counter() - started) * 1000)
        totals.append(result.total)
    get_backend().close()
    return timings, totals


def measure_like() -> list[float]:
    """The naive peer: the same words as ``LIKE '%…%'`` conditions on the same table."""
    from app.extensions import db
    from app.kb.models import Article

    like_timings = []
    for query in QUERIES:
        words = [w.strip('"') for w in query.replace("OR", " ").split() if not w.startswith("-")]
        condition = sa.and_(
            *[sa.or_(Article.title.like(f"%{w}%"), Article.body.like(f"%{w}%")) for w in words]
        )
        started = time.perf_counter()
        db.session.execute(
            sa.select(Article.id, Article.title).where(condition).order_by(Article.id.desc()).limit(10)
        ).all()
        db.session.scalar(sa.select(sa.func.count()).select_from(Article).where(condition))
        like_timings.append((time.perf_counter() - started) * 1000)
    return like_timings


def latency_line(label: str, timings: list[float], goal: str = "") -> str:
    return (
        f"  {label:<32} p50 {statistics.median(timings):7.1f} ms   "
        f"p95 {percentile(timings, 0.95):7.1f} ms   max {max(timings):7.1f} ms{goal}"
    )


def run(database_url: str, folder: Path, args) -> None:
    from app import create_app
    from app.config import TestConfig

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        SEARCH_INDEX_DIR = str(folder / "search")
        MIGRATIONS_DIR = str(ROOT / "migrations")

    app = create_app(BenchConfig)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        load_articles(args.docs)
        backends = [
            b for b in args.backends.split(",") if b == "whoosh" or database_url.startswith("postgresql")
        ]
        results = {name: measure_backend(app, name, args.procs) for name in backends}
        like_timings = measure_like()
        database = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
        print(f"query latency over {len(QUERIES)} fixed queries (first page, total, snippets, as a member):")
        for name, (timings, _) in results.items():
            print(latency_line(f"search_index ({name}):", timings, "   (goal: p95 < 50 ms)"))
        print(latency_line(f"peer, SQL LIKE scan ({database}):", like_timings))
        for name, (timings, totals) in results.items():
            slowest = sorted(zip(timings, QUERIES, totals, strict=True), reverse=True)[:5]
            print(f"  slowest ({name}):", "; ".join(f"{q} ({t:.0f} ms, {n:,} hits)" for t, q, n in slowest))
        if not database_url.startswith("postgresql"):
            print("  (set DATABASE_URL=postgresql+psycopg://… to measure the PostgreSQL backend too)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--backends", default="whoosh,postgresql", help="which to measure (comma-separated)")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="hongke-bench-search-") as folder:
        folder = Path(folder)
        if base.startswith("postgresql"):
            with scratch_database(base) as url:
                run(url, folder, args)
        else:
            run(f"sqlite:///{folder / 'bench.sqlite'}", folder, args)


if __name__ == "__main__":
    main()
