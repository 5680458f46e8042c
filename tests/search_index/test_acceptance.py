"""The issue's acceptance, on real Chinese text made through the domains' own services."""

import pytest

from app.extensions import db
from app.kb import authoring as kb_authoring
from tests.search_index.conftest import find, titles


def test_a_compound_query_finds_its_parts_written_apart(people, article):
    article("企业党建工作信息化建设", "以信息化手段提升企业党建工作水平，推进智慧党建平台建设。")
    article("学习强国学习心得", "每天坚持学习。")

    result = find(people["member_b1"], "党建信息化")

    assert titles(result) == ["企业党建工作信息化建设"]
    assert "<mark>党建</mark>" in str(result.results[0].title)


@pytest.mark.parametrize(("written", "searched"), [("党员", "黨員"), ("黨員", "党员")])
def test_traditional_and_simplified_find_each_other(people, article, written, searched):
    article(f"{written}发展工作细则", f"做好{written}发展工作，严格入党程序。")

    result = find(people["member_b1"], searched)

    assert result.total == 1
    # The snippet shows the text as written, with the match marked.
    assert f"<mark>{written}</mark>" in str(result.results[0].snippet)


def test_the_item_titled_with_a_party_term_ranks_first(people, article):
    article("落实组织生活制度的通知", "各支部要认真落实三会一课制度，三会一课要有记录，三会一课不走过场。")
    article("三会一课", "三会一课是党的组织生活的基本制度。")
    article("支部工作要点", "今年要抓好三会一课。")

    result = find(people["member_b1"], "三会一课")

    assert titles(result)[0] == "三会一课"
    assert result.total == 3


def test_a_quoted_phrase_does_not_match_its_words_apart(people, article):
    article("三会一课", "按时开展三会一课。")
    article("支部制度汇编", "支部三会按季度召开，另有一课由书记讲授。")

    assert titles(find(people["member_b1"], '"三会一课"')) == ["三会一课"]
    assert titles(find(people["member_b1"], '"三会 一课"')) == []
    # Unquoted, the two words may stand apart.
    assert titles(find(people["member_b1"], "三会 一课")) == ["支部制度汇编"]


def test_a_draft_never_appears_even_searched_for_exactly(people, article):
    article("绝密草稿关于主题党日", "主题党日活动方案草稿", publish=False)
    submitted = article("待审核的主题党日文章", "主题党日", publish=False, author=people["trainer"])
    kb_authoring.submit_article(submitted, people["trainer"])
    db.session.commit()

    for user in people.values():
        assert find(user, "绝密草稿关于主题党日").total == 0
        assert find(user, '"主题党日"').total == 0


def test_a_notice_scoped_to_one_branch_never_appears_to_another(people, notice, org_tree):
    notice(
        "机关第一党支部主题党日安排",
        "本月主题党日在三楼会议室。",
        branch=org_tree["a1"],
        author=people["coordinator"],
    )

    assert titles(find(people["member_a1"], "主题党日")) == ["机关第一党支部主题党日安排"]
    assert titles(find(people["trainer"], "主题党日")) == ["机关第一党支部主题党日安排"]  # also in a1
    assert find(people["member_b1"], "主题党日").total == 0
    assert find(people["member_b"], "机关第一党支部主题党日安排").total == 0
    # Those who manage the subtree find it; a coordinator of another subtree would not.
    assert find(people["coordinator_a"], "主题党日").total == 1
    assert find(people["coordinator"], "主题党日").total == 1
    assert find(people["admin"], "主题党日").total == 1


def test_a_company_wide_notice_reaches_everyone(people, notice):
    notice("关于开展民主评议党员工作的通知", "全公司开展民主评议。")

    for user in people.values():
        assert find(user, "民主评议").total == 1, user.name


def test_the_exactly_titled_item_leads_even_when_a_broad_search_is_cut_short(people, article):
    from search_index.engine import get_backend
    from search_index.registry import SearchDocument

    filler = [
        SearchDocument("article", 10_000 + i, f"第{i}篇心得", "三会一课" * 5, f"/kb/articles/{10_000 + i}")
        for i in range(400)
    ]
    get_backend().write(filler, removed=[])
    article("三会一课", "制度简介。")
    get_backend().time_budget = 0.0  # SEARCH_TIME_BUDGET_MS: stop matching at once

    result = find(people["member_b1"], "三会一课")

    assert titles(result)[0] == "三会一课"
    assert len(result.results) == 10
    if get_backend().__class__.__name__ == "PgSearchBackend":
        # PostgreSQL still counts the matches, up to COUNT_CAP (10,000) of them.
        assert (result.total, result.total_is_exact) == (401, True)
    else:
        assert not result.total_is_exact  # it was cut short: the total is an estimate ("about")
        assert result.total >= 401
