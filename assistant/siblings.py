"""Which of two same-typed sections a question or the conversation means.

A document often describes two things of one kind side by side, each under a heading of its own
(「科專類」 and 「多元類」, 「第一階段」 and 「第二階段」, 「北部」 and 「南部」), in words they share (「第二期
請款」 is in both). When the question or an earlier turn names one of the headings
(「海委會科專類在執行階段要交哪些東西？」 then 「那第二期款什麼時候可以請？」), a sentence under the
other is about the other thing: :func:`sibling_match` says which sections are the one named (+1)
and which its same-typed siblings (-1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from assistant.reply import Passage
from core.text import to_search_form

#: The separator of a section path's levels (as ingest writes it: ``ingest.clean.SECTION_PATH_SEPARATOR``).
_LEVELS = " > "

#: Numbering and punctuation around a heading's words: 「一、科專類」, 「(二) 多元類：」.
_DECORATION = re.compile(r"^[\s(（]*[0-9一二三四五六七八九十]*[)）、.．]?\s*|[\s:：。]+$")


def _heading_words(heading: str) -> str:
    """A heading without its numbering and trailing colon, search form."""
    return _DECORATION.sub("", to_search_form(heading)).strip()


def sibling_match(forms: Iterable[str], passages: Sequence[Passage], longest: int) -> dict[str, int]:
    """For each section path (levels only, the row or article label left out) of ``passages``:
    1 when one of its headings is named by ``forms`` (the question's and the conversation's words,
    search form) and a same-typed sibling of it is not; -1 when one of its headings is such a
    sibling; absent otherwise.

    Siblings are headings under the same parent whose words end in the same character (科專類 and
    多元類, 北部 and 南部), of at most ``longest`` characters (a short heading names a thing; a long
    one is a sentence). A heading is named when it holds one of ``forms`` of two characters or more
    that none of its siblings holds.
    """
    words = [f for f in dict.fromkeys(forms) if len(f) >= 2]
    paths = {p.section: p.section.split("｜")[0].split(_LEVELS) for p in passages}
    children: dict[tuple[str, ...], set[str]] = {}
    for levels in paths.values():
        for depth in range(1, len(levels)):
            heading = _heading_words(levels[depth])
            if 2 <= len(heading) <= longest:
                children.setdefault(tuple(levels[:depth]), set()).add(heading)
    verdicts: dict[tuple[tuple[str, ...], str], int] = {}
    for parent, headings in children.items():
        for heading in headings:
            kin = {h for h in headings if h != heading and h[-1] == heading[-1]}
            if not kin:
                continue
            named = [w for w in words if w in heading and not any(w in h for h in kin)]
            if named:
                verdicts[(parent, heading)] = 1
                for other in kin:
                    if not any(w in other for w in words):
                        verdicts.setdefault((parent, other), -1)
    out: dict[str, int] = {}
    for section, levels in paths.items():
        marks = {
            verdicts[(tuple(levels[:depth]), _heading_words(levels[depth]))]
            for depth in range(1, len(levels))
            if (tuple(levels[:depth]), _heading_words(levels[depth])) in verdicts
        }
        if marks:
            out[section] = -1 if -1 in marks else 1
    return out
