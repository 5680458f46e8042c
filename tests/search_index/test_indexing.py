"""Collecting changes per transaction, the single writer's failure modes, reconcile, rebuild, status."""

import logging

import pytest
from whoosh import index

from app.extensions import db
from app.kb.models import Article
from app.qa.models import Question
from search_index import indexing
from search_index.engine import get_backend
from search_index.registry import SearchDocument
from tests.search_index.conftest import find, titles


@pytest.fixture
def queued(monkeypatch):
    """Record what would be sent to the search queue instead of sending it."""
    sent: list[list] = []
    monkeypatch.setattr(indexing, "enqueue", lambda changes: sent.append(sorted(changes)))
    return sent


def test_changes_are_sent_once_at_commit_and_dropped_on_rollback(people, queued):
    author = people["coordinator"]
    db.session.add(Article(title="回滚的文章", body="正文", author_id=author.id))
    db.session.flush()
    db.session.rollback()
    assert queued == []

    article = Article(title="提交的文章", body="正文", author_id=author.id)
    db.session.add(article)
    db.session.flush()
    article.summary = "改了摘要"
    db.session.flush()
    assert queued == []  # nothing before the commit
    db.session.commit()
    assert queued == [[("article", article.id)]]


def test_a_rolled_back_savepoint_forgets_only_its_own_changes(people, queued):
    author = people["member_a1"]
    article = Article(title="外层的文章", body="正文", author_id=author.id)
    db.session.add(article)
    db.session.flush()
    nested = db.session.begin_nested()
    db.session.add(Question(title="内层的问题", body="", author_id=author.id))
    db.session.flush()
    nested.rollback()
    with db.session.begin_nested():  # a released savepoint hands its changes to the outer transaction
        kept = Question(title="保留的问题", body="", author_id=author.id)
        db.session.add(kept)
    assert queued == []
    db.session.commit()
    assert queued == [sorted([("article", article.id), ("question", kept.id)])]


def test_a_lost_message_is_repaired_by_reconcile(people, article, runner, monkeypatch):
    monkeypatch.setattr(indexing, "enqueue", lambda changes: None)  # the broker was down
    article("主题党日活动方案", "开展主题党日。")
    get_backend().write(
        [SearchDocument("article", 99999, "已删除的文章", "主题党日", "/kb/articles/99999")], removed=[]
    )
    assert titles(find(people["member_a1"], "主题党日")) == ["已删除的文章"]

    output = runner.invoke(args=["search", "reconcile"]).output

    assert "已更新 1 篇，已移除 1 篇" in output
    assert titles(find(people["member_a1"], "主题党日")) == ["主题党日活动方案"]


def test_a_busy_index_never_fails_the_users_commit(people, article, fresh_index, caplog, whoosh_only):
    get_backend().lock_timeout = 0.2  # SEARCH_LOCK_TIMEOUT_SECONDS, short for the test
    article("先建立索引", "内容")
    ix = index.open_dir(str(next(fresh_index.glob("gen-*"))))
    holder = ix.writer()  # another writer holds the lock (a rebuild's reconcile, say)
    try:
        with caplog.at_level(logging.WARNING, logger="search_index"):
            article("锁住期间发布的文章", "民主生活会")  # must not raise
    finally:
        holder.cancel()
    assert "index busy" in caplog.text
    assert find(people["member_a1"], "民主生活会").total == 0
    indexing.reconcile()
    assert find(people["member_a1"], "民主生活会").total == 1


@pytest.mark.parametrize("procs", [1, 2])
def test_rebuild_builds_a_new_index_from_the_database(
    people, article, notice, course, question, runner, fresh_index, procs
):
    article("企业党建工作信息化建设", "信息化")
    notice("党员大会通知", "全体党员")
    course("学习强国专题课", lessons=[("学习强国使用指南", "下载安装")])
    question("如何写入党申请书", "请教格式")
    article("草稿文章", "不应出现", publish=False)
    before = get_backend().current_name()

    result = runner.invoke(args=["search", "rebuild", "--procs", str(procs)])

    assert result.exit_code == 0, result.output
    assert "完成：5 篇文档" in result.output
    assert get_backend().current_name() != before
    counts = get_backend().counts()
    assert counts == {"article": 1, "notice": 1, "course": 1, "lesson": 1, "question": 1}
    assert titles(find(people["member_b1"], "党建信息化")) == ["企业党建工作信息化建设"]
    assert find(people["member_b1"], "草稿文章").total == 0


def test_status_prints_counts_by_type_and_the_queue(people, article, runner):
    article("三会一课", "内容")
    article("两学一做", "内容")

    output = runner.invoke(args=["search", "status"]).output

    assert "article" in output
    assert "       2" in output
    assert "待处理的索引任务：0" in output


def test_search_works_before_anything_was_indexed(people):
    result = find(people["member_a1"], "三会一课")
    assert result.total == 0
    assert not result.unavailable
