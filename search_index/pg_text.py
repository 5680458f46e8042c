"""Documents and queries as PostgreSQL full-text values, built from our own analysis.

The tokens come from :mod:`search_index.analysis` (jieba with the Party dictionary, OpenCC
folding), exactly as the Whoosh backend indexes them: positions are token indexes and a long
word's inner dictionary words share its position. PostgreSQL's own parser would split and number
them differently, so both values are written in their input syntax (``'党员':3A``, ``'三会' <->
'一课'``) with every lexeme quoted and escaped here, and handed to ``CAST(:x AS tsvector)`` /
``CAST(:x AS tsquery)`` as bound parameters: user text never reaches the SQL, and a lexeme is
taken verbatim (the ``simple`` configuration's parsing would split ``c++`` or ``3.5``).
"""

import re
from collections.abc import Callable

from search_index.analysis import chinese_analyzer, normalize
from search_index.query import Clause, ParsedQuery
from search_index.registry import SearchDocument

#: PostgreSQL's limits: the highest position, positions kept per lexeme, bytes per lexeme.
MAX_POSITION = 16_383
MAX_POSITIONS_PER_LEXEME = 256
MAX_LEXEME_BYTES = 2_046
#: Characters of the body kept for snippets (the whole body is indexed).
EXCERPT_CHARS = 20_000

_NOT_WORD = re.compile(r"[\W_]+")


def title_key(text: str) -> str:
    """A title (or the query's words) folded and run together, punctuation and spaces dropped
    (the same key as the Whoosh backend's, for the same title boost)."""
    return _NOT_WORD.sub("", normalize(text))[:200]


def quote(lexeme: str) -> str:
    """One lexeme in tsvector/tsquery input syntax."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def analysed(document: SearchDocument) -> tuple[str, set[str]]:
    """``document`` as a tsvector literal (title weight A, tags and body B, one position space
    like Whoosh's ``content`` field), and the set of its lexemes (for the vocabulary)."""
    analyzer = chinese_analyzer()
    positions: dict[str, list[str]] = {}
    next_pos = 0
    rest = "\n".join([" ".join(document.tags), document.body or ""])
    for weight, text in (("A", document.title or ""), ("B", rest)):
        last = next_pos - 1
        for token in analyzer(text, positions=True, mode="index", start_pos=next_pos):
            lexeme, last = token.text, token.pos
            if len(lexeme.encode()) > MAX_LEXEME_BYTES:
                continue
            kept = positions.setdefault(lexeme, [])
            if len(kept) < MAX_POSITIONS_PER_LEXEME:
                kept.append(f"{min(token.pos + 1, MAX_POSITION)}{weight}")
        next_pos = last + 1
    literal = " ".join(f"{quote(lexeme)}:{','.join(dict.fromkeys(p))}" for lexeme, p in positions.items())
    return literal, set(positions)


def row(document: SearchDocument) -> tuple[dict, set[str]]:
    """The ``search_document`` row of ``document`` and its lexemes."""
    tsv, lexemes = analysed(document)
    return {
        "key": document.key,
        "type": document.type,
        "doc_id": document.id,
        "title": document.title or "",
        "title_key": title_key(document.title or ""),
        "excerpt": (document.body or "")[:EXCERPT_CHARS],
        "url": document.url,
        "scope": document.scope or None,
        "visibility": document.visibility,
        "roles": list(document.roles),
        "owner_id": document.owner_id,
        "parent": document.parent or None,
        "stamp": document.stamp,
        "tsv": tsv,
    }, lexemes


def _all(words: list[str]) -> str:
    return "(" + " & ".join(quote(w) for w in words) + ")"


def clause_query(clause: Clause, known: Callable[[str], bool]) -> str:
    """One clause as tsquery text. A word's parts are tried only when the word itself is not in
    the index (as in the Whoosh backend); a lone character matches the words starting with it."""
    if clause.kind == "phrase":
        return "(" + " <-> ".join(quote(w) for w in clause.words) + ")"
    if clause.kind == "prefix":
        return quote(clause.words[0]) + ":*"
    if clause.kind == "all":
        return _all(clause.words)
    word = clause.words[0]
    if clause.parts and not known(word):
        return _all(clause.parts)
    return quote(word)


def to_tsquery(query: ParsedQuery, known: Callable[[str], bool]) -> str:
    """The whole parsed query as one tsquery: groups ANDed, clauses of a group ORed, exclusions
    negated."""
    groups = ["(" + " | ".join(clause_query(c, known) for c in group) + ")" for group in query.groups]
    text = " & ".join(groups)
    if query.excluded:
        text += " & !(" + " | ".join(clause_query(c, known) for c in query.excluded) + ")"
    return text
