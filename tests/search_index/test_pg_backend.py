"""The PostgreSQL backend's own guarantees: many writers at once, a rebuild that swaps tables
while searches keep answering, and query text that can never break the SQL."""

import random
import threading

import pytest

from app.extensions import db
from search_index.backend import Viewer
from search_index.engine import get_backend
from search_index.query import parse
from search_index.registry import SearchDocument
from tests.search_index.conftest import find, titles

EVERYONE = Viewer(user_id=None, roles=frozenset(), is_admin=False, branch_path=None, manage_prefix=None)


def document(n: int, version: int = 0) -> SearchDocument:
    return SearchDocument(
        "article", n, f"第{n}篇学习心得", f"三会一课 第{version}版 主题党日", f"/kb/articles/{n}"
    )


def test_several_writers_at_once_neither_fail_nor_lose_documents(postgresql_only, shared_app):
    shared_app.config["SEARCH_BACKEND"] = "postgresql"
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            with shared_app.app_context():
                start.wait()
                for round_ in range(6):
                    # Overlapping keys in a different order each time: the worst case for locks.
                    keys = rng.sample(range(1, 41), 25)
                    get_backend().write([document(n, round_) for n in keys], removed=[f"article:{41 + seed}"])
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with shared_app.app_context():
        backend = get_backend()
        written = set(backend.stamps("article"))
        assert written
        assert written <= set(range(1, 41))
        assert backend.counts() == {"article": len(written)}
        page = backend.search(parse("三会一课"), EVERYONE, None, 1, 10)
        assert page.total == len(written)
        assert backend.known_terms(["三会一课", "主题党日", "不存在的词"]) == {"三会一课", "主题党日"}
        db.session.remove()


def test_a_rebuild_fills_new_tables_while_searches_read_the_old_ones(postgresql_only, people, article):
    article("两学一做学习教育", "推进两学一做。")
    backend = get_backend()
    before = backend.current_name()
    with backend.rebuild() as bulk:
        bulk.add(SearchDocument("article", 90001, "民主生活会方案", "民主生活会", "/kb/articles/90001"))
        # Not swapped yet: searches still answer from the live table.
        assert titles(find(people["member_b1"], "两学一做")) == ["两学一做学习教育"]
        assert find(people["member_b1"], "民主生活会").total == 0
    assert backend.current_name() != before
    assert find(people["member_b1"], "两学一做").total == 0
    assert titles(find(people["member_b1"], "民主生活会")) == ["民主生活会方案"]
    assert backend.known_terms(["民主生活会", "两学一做"]) == {"民主生活会"}


def test_a_failed_rebuild_leaves_the_live_index_untouched(postgresql_only, people, article):
    article("两学一做学习教育", "推进两学一做。")
    backend = get_backend()
    before = backend.current_name()

    def failing_rebuild():
        with backend.rebuild() as bulk:
            bulk.add(SearchDocument("article", 90001, "民主生活会方案", "民主生活会", "/kb/articles/90001"))
            raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        failing_rebuild()
    assert backend.current_name() == before
    assert titles(find(people["member_b1"], "两学一做")) == ["两学一做学习教育"]


@pytest.mark.parametrize(
    "text",
    [
        "'",
        "\\",
        "a:*",
        "党建 & | ! <-> :",
        '"\'党\\建"',
        "'); DROP TABLE search_document; --",
        "-'x'",
        "OR OR",
    ],
)
def test_query_text_never_breaks_the_sql(postgresql_only, people, article, text):
    article("党建工作", "党建 a:* ' \\ 内容")
    result = find(people["member_b1"], text)
    assert not result.unavailable
    assert get_backend().counts() == {"article": 1}


def test_a_lexeme_with_quotes_and_backslashes_is_stored_and_found(postgresql_only, people):
    get_backend().write(
        [SearchDocument("article", 7, "O'Reilly\\书", "c++ it's", "/kb/articles/7")], removed=[]
    )
    assert find(people["member_b1"], "o'reilly").total == 1
    assert find(people["member_b1"], "c++").total == 1


def test_suggestions_follow_the_recounted_document_frequencies(postgresql_only, people, article):
    article("党建工作要点", "党建")
    article("党员发展", "党员")
    article("党员教育", "党员")
    backend = get_backend()
    backend.refresh_terms()
    assert backend.suggest("党健")[:2] == ["党员", "党建"]  # 党员 in two documents, 党建 in one
    assert find(people["member_b1"], "党健").suggestion == "党员"
