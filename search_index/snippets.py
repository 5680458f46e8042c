"""Highlighted snippets: the passage of a document where the searched words are densest.

Matching works on the normalised text (Simplified, half-width, lower case) while the snippet shows
the original characters: normalisation keeps the length, so offsets carry over. Every piece of
the document is HTML-escaped; the only markup in a snippet is the ``<mark>`` added here.
"""

from markupsafe import Markup, escape

from search_index.analysis import normalize

#: Matches looked at per snippet (enough to place the window; a long text repeats itself).
MAX_MATCHES = 200


def _matches(folded: str, words: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) of ``words`` in ``folded``; earlier, then longer, wins."""
    found = []
    for word in words:
        start = folded.find(word)
        while start != -1 and len(found) < MAX_MATCHES * 4:
            found.append((start, start + len(word)))
            start = folded.find(word, start + len(word))
    found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start < merged[-1][1]:
            continue
        merged.append((start, end))
        if len(merged) >= MAX_MATCHES:
            break
    return merged


def _window(text: str, matches: list[tuple[int, int]], folded: str, width: int) -> tuple[int, int]:
    if len(text) <= width:
        return 0, len(text)
    if not matches:
        return 0, width
    best, best_score = 0, -1
    for start, _ in matches:
        begin = max(0, min(start - width // 5, len(text) - width))
        inside = {folded[s:e] for s, e in matches if s >= begin and e <= begin + width}
        count = sum(1 for s, e in matches if s >= begin and e <= begin + width)
        score = len(inside) * 1000 + count
        if score > best_score:
            best, best_score = begin, score
    return best, best + width


def highlight(text: str, words: list[str], width: int | None = 120) -> Markup:
    """``text`` (or its best passage of ``width`` characters) escaped, with ``words`` in ``<mark>``."""
    text = text or ""
    folded = normalize(text)
    matches = _matches(folded, [w for w in words if w])
    begin, end = (0, len(text)) if width is None else _window(text, matches, folded, width)
    out = [Markup("…")] if begin > 0 else []
    cursor = begin
    for start, stop in matches:
        if start < begin or stop > end:
            continue
        out.append(escape(text[cursor:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:stop])
        cursor = stop
    out.append(escape(text[cursor:end]))
    if end < len(text):
        out.append(Markup("…"))
    return Markup("").join(out)
