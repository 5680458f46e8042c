"""Chinese text analysis: normalisation, jieba segmentation with the Party-term dictionary, and
the Whoosh tokenizer built on them.

Both sides of a search go through :func:`normalize` first, so the index and the query agree:

- Traditional → Simplified (OpenCC ``t2s``): 黨員 and 党员 are the same word;
- full-width → half-width: ``ＡＢＣ１２３`` is ``abc123``; the ideographic space is a space;
- lower case for Latin letters.

Every step keeps the text's length, character for character, so a token's offsets in the
normalised text are its offsets in the original: snippets highlight the text as it was written.

Token *positions* are token indexes (0, 1, 2 …), not character offsets: jieba's stock Whoosh
analyzer stores character offsets as positions, which breaks phrase queries. At index time each
word longer than two characters is followed by the dictionary words inside it (``不忘初心牢记使命``
also yields ``不忘初心`` and ``牢记使命``) at the *same* position, so a search for a part finds the
whole and phrases still line up.
"""

import logging
import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import Token, Tokenizer

logger = logging.getLogger(__name__)

#: The user dictionary of Party terms shipped with the package (one term a line).
PARTY_TERMS = Path(__file__).with_name("party_terms.txt")

#: A run of characters that may form words: CJK ideographs, Latin letters, digits and the few
#: joiners jieba keeps inside a word (``c++``, ``3.5``, ``e-mail``).
_WORDISH = re.compile(r"[\w+#&.%\-]", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_lock = threading.Lock()
_state: dict = {}


# --- normalisation -------------------------------------------------------------------------------


_HALFWIDTH = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)} | {0x3000: " "}


def _converter():
    converter = _state.get("opencc")
    if converter is None:
        import opencc

        converter = _state.setdefault("opencc", opencc.OpenCC("t2s"))
    return converter


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    folded = _converter().convert(char)
    return folded if len(folded) == 1 else char


def _to_simplified(text: str) -> str:
    """OpenCC t2s, guaranteed to keep the length (phrase conversions that change it fall back to
    converting that line character by character)."""
    if text.isascii():
        return text
    folded = _converter().convert(text)
    if len(folded) == len(text):
        return folded
    lines = text.split("\n")
    out = []
    for line in lines:
        converted = _converter().convert(line)
        out.append(converted if len(converted) == len(line) else "".join(_fold_char(c) for c in line))
    return "\n".join(out)


def _lower(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def normalize(text: str) -> str:
    """Fold ``text`` for matching: Simplified, half-width, lower case; same length as ``text``."""
    if not text:
        return ""
    return _lower(_to_simplified(text.translate(_HALFWIDTH)))


# --- jieba ---------------------------------------------------------------------------------------


def configure(cache_dir: str | Path | None) -> None:
    """Where jieba may keep its dictionary cache (inside the index folder); call before first use.

    Without a folder (or when it cannot be created) jieba rebuilds its dictionary in memory each
    time a process starts and writes nothing.
    """
    if cache_dir is not None:
        _state.setdefault("cache_dir", str(cache_dir))


def segmenter():
    """The process's jieba tokenizer with the Party terms loaded (built once, ~1 s; then cached)."""
    tokenizer = _state.get("jieba")
    if tokenizer is not None:
        return tokenizer
    with _lock:
        tokenizer = _state.get("jieba")
        if tokenizer is not None:
            return tokenizer
        import jieba

        # jieba logs its progress (and a failed cache write) to stderr on its own handler.
        jieba.setLogLevel(logging.CRITICAL)
        tokenizer = jieba.Tokenizer()
        cache_dir = _state.get("cache_dir")
        try:
            if cache_dir:
                Path(cache_dir).mkdir(parents=True, exist_ok=True)
        except OSError:
            cache_dir = None
        if cache_dir:
            tokenizer.tmp_dir = cache_dir
            tokenizer.initialize()
        else:
            # No folder of ours to write in: build the prefix dictionary in memory, write nothing.
            tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
            tokenizer.initialized = True
        tokenizer.load_userdict(str(PARTY_TERMS))
        _state["jieba"] = tokenizer
        return tokenizer


def warm_up() -> None:
    """Load the dictionary and OpenCC now (a worker does it at start, not on the first task)."""
    segmenter()
    normalize("黨")


def _words(text: str) -> Iterator[tuple[str, int, int]]:
    """(word, start, end) of the normalised ``text``: jieba's precise mode, spaces and punctuation
    dropped."""
    for word, start, _end in segmenter().tokenize(text, HMM=True):
        if not _WORDISH.match(word) or unicodedata.category(word[0]).startswith("P"):
            continue
        stripped = word.strip(".-_")
        if stripped:
            offset = word.index(stripped)
            yield stripped, start + offset, start + offset + len(stripped)


@lru_cache(maxsize=65536)
def _inner_words(word: str) -> tuple[tuple[str, int, int], ...]:
    """The dictionary words inside ``word`` (itself excluded), as (word, start, end) in ``word``."""
    if len(word) < 3 or not _CJK.match(word):
        return ()
    tokenizer = segmenter()
    dag = tokenizer.get_DAG(word)
    inner = []
    for start, ends in dag.items():
        for end in ends:
            if end > start and (start, end) != (0, len(word) - 1):
                inner.append((word[start : end + 1], start, end + 1))
    return tuple(inner)


def split_compound(word: str) -> list[str]:
    """The most likely split of ``word`` into smaller dictionary words (``[]`` if it has none):
    lets a query for 党建信息化 find text that says 党建工作信息化 with the two parts apart."""
    if len(word) < 3 or not _CJK.match(word):
        return []
    tokenizer = segmenter()
    dag = tokenizer.get_DAG(word)
    dag[0] = [end for end in dag[0] if end != len(word) - 1] or [0]
    route: dict = {}
    tokenizer.calc(word, dag, route)
    parts, start = [], 0
    while start < len(word):
        end = route[start][1] + 1
        parts.append(word[start:end])
        start = end
    return parts if len(parts) > 1 else []


def query_words(text: str) -> list[str]:
    """The words of a piece of query text (normalised, precise mode, no inner words)."""
    return [word for word, _, _ in _words(normalize(text))]


class ChineseTokenizer(Tokenizer):
    """A Whoosh tokenizer: normalise, segment with jieba, positions as token indexes.

    In ``index`` mode every long word is followed by its inner dictionary words at the same
    position; in ``query`` mode only the words themselves are produced.
    """

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        text = normalize(value)
        if not tokenize:
            token.original = token.text = text
            token.boost = 1.0
            token.pos = start_pos
            token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        with_inner = mode != "query"
        for pos, (word, start, end) in enumerate(_words(text), start=start_pos):
            pieces = [(word, start, end)]
            if with_inner:
                pieces += [(w, start + s, start + e) for w, s, e in _inner_words(word)]
            for piece, piece_start, piece_end in pieces:
                token.text = piece
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = value[piece_start:piece_end]
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar = start_char + piece_start
                    token.endchar = start_char + piece_end
                yield token


def chinese_analyzer() -> ChineseTokenizer:
    return ChineseTokenizer()
