"""The analyzer, the query syntax and the snippets, without a database."""

import subprocess
import sys

from markupsafe import Markup

from search_index.analysis import ChineseTokenizer, normalize
from search_index.query import MAX_QUERY_CHARS, parse
from search_index.snippets import highlight


def tokens(text, mode="index"):
    return [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in ChineseTokenizer()(text, positions=True, chars=True, mode=mode)
    ]


def test_normalisation_folds_script_width_and_case_keeping_the_length():
    text = "黨員幹部ＡＢＣ１２３　Python"
    assert normalize(text) == "党员干部abc123 python"
    assert len(normalize(text)) == len(text)


def test_party_terms_stay_whole_and_positions_are_token_indexes():
    result = tokens("我们参加三会一课")
    words = [(text, pos) for text, pos, _, _ in result]
    assert ("三会一课", 2) in words  # the third word, not the fifth character
    assert [pos for _, pos in words] == sorted(pos for _, pos in words)
    for term in ["两学一做", "主题党日", "组织生活会", "民主评议", "不忘初心", "牢记使命", "学习强国"]:
        assert term in [t[0] for t in tokens(f"开展{term}活动")], term


def test_long_words_also_index_their_parts_at_the_same_position():
    result = tokens("不忘初心牢记使命")
    assert {text for text, *_ in result} >= {"不忘初心牢记使命", "不忘初心", "牢记使命"}
    assert {pos for _, pos, *_ in result} == {0}
    # Offsets point into the original text, Traditional characters included.
    text = "黨員幹部"
    assert [text[s:e] for _, _, s, e in tokens(text)] == ["黨員幹部", "黨員", "幹部"]


def test_query_mode_gives_only_the_words():
    assert [t[0] for t in tokens("不忘初心牢记使命", mode="query")] == ["不忘初心牢记使命"]


def test_jieba_prints_nothing_and_caches_inside_the_given_folder(tmp_path):
    code = (
        "from search_index import analysis;"
        f"analysis.configure({str(tmp_path / 'jieba')!r});"
        "analysis.warm_up();"
        "print(len(analysis.query_words('三会一课')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == "1\n"
    assert done.stderr == ""
    assert list((tmp_path / "jieba").glob("jieba*.cache"))


def test_query_syntax_phrases_exclusions_and_or():
    query = parse('党建 "三会一课" -廉政 学习强国 OR 两学一做')
    assert [[c.kind for c in g] for g in query.groups] == [["term"], ["term"], ["term", "term"]]
    assert [c.words for c in query.excluded] == [["廉政"]]
    assert parse('"三会 一课"').groups[0][0].kind == "phrase"
    assert parse("党").groups[0][0].kind == "prefix"
    assert parse("党建信息化").groups[0][0].parts == []  # split into two terms already
    assert [c.words for g in parse("党建信息化").groups for c in g] == [["党建"], ["信息化"]]


def test_anything_typed_parses():
    for text in ['"', "-", "OR", "((((", "title:x* [a TO b] ^2 ~", "\x00\u200b", "😀" * 500, " " * 10, None]:
        parse(text)  # no exception
    long = parse("党建" * 500)
    assert long.truncated
    assert len(parse("a" * 500).groups[0][0].words[0]) <= MAX_QUERY_CHARS


def test_snippets_escape_the_text_and_mark_matches():
    snippet = highlight('<script>alert("三会一课")</script> 三會一課', ["三会一课"], width=None)
    assert isinstance(snippet, Markup)
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert snippet.count("<mark>") == 2
    assert "<mark>三會一課</mark>" in snippet  # the original characters, marked


def test_snippets_show_the_passage_with_the_matches():
    text = "开头。" * 100 + "这里讲主题党日的安排。" + "结尾。" * 100
    snippet = highlight(text, ["主题党日"], width=40)
    assert "<mark>主题党日</mark>" in snippet
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert len(snippet.striptags()) <= 42
