"""What a document is about, from its structure: 「這份文件在講什麼？」 answered for any layout.

A guide or report is its sections by name; a law or regulation is its articles (and chapters, when
it has them), opened by its first article (立法目的 / 授權依據: 「本辦法依…訂定之」). The sentence
quoted is the first one that states content: a field line of a law database's header
(「修正日期：民國…」, 「計畫管理單位：…」) says nothing about what the document covers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.reply import Passage

#: A field line of a header: a short label and a colon, then a value without clauses
#: (「修正日期：民國105年」, 「法規類別：行政＞內政部」, 「計畫管理單位：台北市電腦商業同業公會」), the
#: whole line short.
FIELD_LINE = re.compile(r"^[^，。；：:,]{2,10}[：:]")
#: Longest field line, in characters: a sentence longer than this, or one whose value has clauses
#: (「說明：本計畫旨在…，提升…」), states content even after a label.
FIELD_LINE_CHARS = 60
#: The numbering of a heading, by family (a guide's 壹、 parts hold its 一、 points, which hold (一)...).
#: Of many headings, the overview lists those of the first numbered heading's family: the
#: document's own parts, not its sub-points or an appended law's 第一章.
NUMBERING: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("chapter", re.compile(r"^第\s*[一二三四五六七八九十百0-9]+\s*[章編篇]")),
    ("formal", re.compile(r"^[壹貳參叁肆伍陸柒捌玖拾]+\s*[、．.]")),
    ("chinese", re.compile(r"^[一二三四五六七八九十]+\s*[、．]")),
    ("bracketed", re.compile(r"^[（(]\s*[一二三四五六七八九十]+\s*[）)]")),
    ("arabic", re.compile(r"^[0-9]+\s*[、．.](?![0-9])")),
)
#: Section names that introduce a document (its purpose, background): the overview quotes the
#: first sentence under the first of them, when there is one.
INTRODUCTION = re.compile(
    r"前言|緣起|目的|宗旨|背景|概述|概要|簡介|introduction|overview|purpose|about", re.I
)
#: Where a section path's top level ends (``前言｜第24條``: section, then the article label).
_PATH = "｜"


@dataclass(frozen=True)
class Outline:
    """A document's structure as an overview states it.

    Attributes:
        lead: The overview's opening (Traditional Chinese): the title and its parts or articles.
        openings: Passages, in reading order, whose first content sentence opens the overview
            (the first article for a law; the document's first passages otherwise).
        rule: Which structure was read (``articles``, ``sections``).
        title: The title the lead names.
        parts: The section or chapter names the lead lists, in order.
    """

    lead: str
    openings: list[Passage]
    rule: str
    title: str = ""
    parts: tuple[str, ...] = ()

    def marked(self, markers: dict[str, int]) -> str:
        """The lead with a citation marker after the title and each part a heading states
        (``markers``: name → marker number, :func:`assistant.headings.named_headings`)."""
        named = f"（{self.title}）"
        after = self.lead.find(named) + len(named) if named in self.lead else 0
        middle, sep, listed = self.lead[after:].partition("：")
        title_mark = f"[{markers[self.title]}]" if self.title in markers and after else ""
        head = self.lead[:after] + title_mark + middle + sep
        at = 0
        for name in self.parts:
            found = listed.find(name, at)
            if found < 0:
                continue
            at = found + len(name)
            if name in markers:
                listed = f"{listed[:at]}[{markers[name]}]{listed[at:]}"
                at += len(f"[{markers[name]}]")
        return head + listed


def top_section(passage: Passage) -> str:
    """The top level of a passage's section path (``第一章 總則｜第3條`` → ``第一章 總則``)."""
    return passage.section.split(_PATH, 1)[0].strip()


def states_content(sentence: str) -> bool:
    """Whether a sentence says something about the document's subject (not a header's field line)."""
    text = sentence.strip()
    return not (FIELD_LINE.match(text) and len(text) <= FIELD_LINE_CHARS and not re.search("[，,；;]", text))


def outline(passages: Sequence[Passage], title: str, max_sections: int) -> Outline | None:
    """The overview of one document from all its passages (every kind, any order).

    Args:
        passages: The document's passages.
        title: The document's title (shown in the lead).
        max_sections: Most section or chapter names the lead lists (``Settings.max_overview_sections``).

    Returns:
        The outline, or None when the document has neither articles nor two named sections (an
        overview would say nothing a quoted sentence does not).
    """
    ordered = sorted(passages, key=lambda p: (p.start, p.end))
    articles = [p for p in ordered if p.kind == "article"]
    if articles:
        labels = list(dict.fromkeys(p.section.rsplit(_PATH, 1)[-1] for p in articles))
        chapters = _names([top_section(p) for p in articles], title)
        lead = f"這份文件（{title}）共{len(labels)}條"
        if len(chapters) >= 2:
            lead += f"，分成{len(chapters)}章：{_listed(chapters, max_sections)}"
        shown = tuple(chapters[:max_sections]) if len(chapters) >= 2 else ()
        return Outline(lead + "。", articles, "articles", title, shown)
    sections = _names([top_section(p) for p in ordered], title)
    if len(sections) > max_sections:
        sections = _parts(sections)
    if len(sections) < 2:
        return None
    lead = f"這份文件（{title}）分成{len(sections)}個部分：{_listed(sections, max_sections)}。"
    intro = next((s for s in sections if INTRODUCTION.search(s)), "")
    first = [p for p in ordered if intro and top_section(p) == intro]
    openings = first + [p for p in ordered if p not in first]
    return Outline(lead, openings, "sections", title, tuple(sections[:max_sections]))


def numbering(heading: str) -> str:
    """The numbering family of a heading (``formal`` for 「壹、前言」), "" for an unnumbered one."""
    return next((name for name, pattern in NUMBERING if pattern.match(heading.strip())), "")


def _parts(sections: Sequence[str]) -> list[str]:
    """Of many section names, those numbered like the first numbered one (all when none is)."""
    family = next((f for s in sections if (f := numbering(s))), "")
    return [s for s in sections if numbering(s) == family] if family else list(sections)


def _names(sections: Sequence[str], title: str) -> list[str]:
    """Distinct section names in order, without the title itself or a header's field line
    (a law database page's 「法規名稱：…」 block is no part of the law)."""
    names = dict.fromkeys(s for s in sections if s and s != title and states_content(s))
    return list(names)


def _listed(names: Sequence[str], most: int) -> str:
    """Names joined for the lead (「；」 when a name holds its own 、: 「壹、前言；貳、申請資格」)."""
    shown = ("；" if any("、" in n for n in names) else "、").join(names[:most])
    return shown if len(names) <= most else f"{shown}等"
