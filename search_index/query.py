"""What a member typed → a small, engine-independent query.

The syntax is deliberately tiny, so that no input is ever a syntax error:

- words are ANDed: ``党建 信息化`` (and an unspaced ``党建信息化`` is segmented the same way);
- ``"三会一课"`` (or “三会一课”) is a phrase: its words must stand together, in order;
- ``-廉政`` leaves out what contains the word (or ``-"…"`` the phrase);
- ``A OR B`` (or ``A | B``) accepts either side.

Everything else (field names, wildcards, brackets) is plain text. An unclosed quote runs to the
end. Overlong input is cut to :data:`MAX_QUERY_CHARS` and at most :data:`MAX_CLAUSES` clauses.
"""

import re
from dataclasses import dataclass, field

from search_index.analysis import _CJK, normalize, query_words, split_compound

MAX_QUERY_CHARS = 200
MAX_CLAUSES = 24

_QUOTES = str.maketrans({"“": '"', "”": '"', "＂": '"', "「": '"', "」": '"', "『": '"', "』": '"'})
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass
class Clause:
    """One thing a document must contain."""

    #: ``term`` (a word), ``phrase`` (words in a row), ``all`` (every word, anywhere: the right
    #: side of an OR that has several words) or ``prefix`` (a lone character: any word starting
    #: with it).
    kind: str
    words: list[str]
    #: For a term: its split into smaller words, accepted as an alternative (all parts, anywhere).
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.words)


@dataclass
class ParsedQuery:
    #: Every group must match; a group matches when any of its clauses does (``A OR B``).
    groups: list[list[Clause]] = field(default_factory=list)
    #: A document containing any of these is left out.
    excluded: list[Clause] = field(default_factory=list)
    #: True when the input was cut to the limits.
    truncated: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def highlight_words(self) -> list[str]:
        """The words a snippet should mark (longest first, so a longer match wins)."""
        words = {w for group in self.groups for clause in group for w in clause.words + clause.parts}
        return sorted(words, key=lambda w: (-len(w), w))

    def ordered_words(self) -> list[str]:
        """The query's words in order, when it is a plain conjunction (no OR), else ``[]``."""
        if any(len(group) > 1 for group in self.groups):
            return []
        return [w for group in self.groups for w in group[0].words]

    def terms(self) -> list[str]:
        """The single-word terms, for spelling suggestions."""
        return [c.words[0] for group in self.groups for c in group if c.kind == "term"]


def _clauses(text: str, phrase: bool) -> list[Clause]:
    words = query_words(text)
    if not words:
        return []
    if phrase and len(words) > 1:
        return [Clause("phrase", words)]
    clauses = []
    for word in words:
        if len(word) == 1 and _CJK.match(word):
            clauses.append(Clause("prefix", [word]))
        elif phrase:
            clauses.append(Clause("term", [word]))
        else:
            clauses.append(Clause("term", [word], split_compound(word)))
    return clauses


def parse(text: str | None) -> ParsedQuery:
    query = ParsedQuery()
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        text, query.truncated = text[:MAX_QUERY_CHARS], True
    original = text.translate(_QUOTES)
    text = normalize(original)  # same length: offsets in one are offsets in the other
    pending_or = False
    count = 0
    for match in _TOKEN.finditer(text):
        minus, quoted, bare = match.groups()
        if bare is not None and original[match.start() : match.end()] in ("OR", "|", "｜"):
            pending_or = bool(query.groups)
            continue
        if quoted is not None:
            clauses, negate = _clauses(quoted, phrase=True), bool(minus)
        elif bare.startswith("-") and len(bare) > 1:
            clauses, negate = _clauses(bare[1:], phrase=False), True
        else:
            clauses, negate = _clauses(bare, phrase=False), False
        if not clauses:
            continue
        if count + len(clauses) > MAX_CLAUSES:
            clauses, query.truncated = clauses[: MAX_CLAUSES - count], True
        count += len(clauses)
        if negate:
            query.excluded.extend(clauses)
        elif pending_or:
            words = [w for c in clauses for w in c.words]
            query.groups[-1].append(clauses[0] if len(clauses) == 1 else Clause("all", words))
        else:
            query.groups.extend([c] for c in clauses)
        pending_or = False
        if count >= MAX_CLAUSES:
            query.truncated = True
            break
    return query


# Spelling suggestions, whichever backend keeps the terms.
def one_edit_apart(a: str, b: str) -> bool:
    """One character replaced, added or removed (Levenshtein distance 1)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
