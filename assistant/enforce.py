"""Citation enforcement: a generated answer keeps only what the passages support.

A language model's draft is split into sentences. Each sentence is scored against every
sentence (and pair of neighbouring sentences) of every passage:

* lexical support: the share of the sentence's character bigrams found in the passage
  span, both in search form (one script, width and case folded), markers removed;
* semantic support: cosine similarity of their embeddings, rescaled from the embedding
  model's narrow band (``dense_floor`` .. ``dense_floor + dense_span``) to 0-1;
* a number the sentence states that the span lacks means no support at all.

Support = ``lexical_weight`` x lexical + (1 - ``lexical_weight``) x semantic (lexical only
when no embedding function is given). Then each sentence is kept with the citations that
support it (a wrong ``[n]`` is moved to the passage that does support it, an uncited
sentence gets a citation when one passage clearly supports it) or dropped. The best
supporting span becomes the citation's exact ``quote`` with its offsets in the cleaned
source. A citation the enforcer chooses itself goes to the earliest passage (the extractive
answer's evidence comes first) whose support is within ``rank_margin`` of the best; a map
call-out's statement is read with its name and city lines, which say what it is about.
Markers are renumbered 1..k in order; with nothing left, or when the model refused, the
answer is the refusal with no citations.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import opencc

from assistant.answer import REFUSAL_HANT
from assistant.evidence import QUOTED_NAME, callout_labels
from assistant.reply import Citation, Passage
from core.settings import BUNDLED_E5, SIMILARITY_BANDS, Settings
from core.text import sentence_spans, to_search_form, to_simplified, to_traditional

#: ``[1]``, ``[1][2]``, ``[1, 2]``, ``【1】``, ``［1］`` (with the spaces models put around them).
_MARKER = re.compile(r"\s*[\[【［]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】］]")
#: A sentence ends at 。！？!? (with closing quotes) or a line break; ；stays inside.
_SENTENCE = re.compile(r"[^。！？!?\n]+(?:[。！？!?]+[」』）”’)]*)?|[。！？!?]+")
_END_PUNCT = re.compile(r"[。！？!?]+[」』）”’)]*$")
_LIST_LEAD = re.compile(r"^\s*(?:\d{1,2}[.、)）]\s*|[-*•・]\s+|[（(]\d{1,2}[)）]\s*)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NOT_TEXT = re.compile(r"[^\w]|_", re.UNICODE)

#: Character-level Simplified -> Traditional (Taiwan variants), without s2twp's phrase rewrites.
_S2TW = opencc.OpenCC("s2tw")

#: Variant spellings (OpenCC's, the documents') of the same word: Taiwan's official texts
#: write 計畫, 臺, 布局 where OpenCC writes 計劃, 台, 佈局.
_VARIANTS = (
    ("計劃", "計畫"),
    ("台灣", "臺灣"),
    ("台北", "臺北"),
    ("台南", "臺南"),
    ("台中", "臺中"),
    ("佈局", "布局"),
)

#: An embedding function: texts in, one vector each out (or a langchain ``Embeddings``).
EmbedFn = Callable[[list[str]], Sequence[Sequence[float]]]


@dataclass
class EnforcedAnswer:
    """A generated answer after enforcement.

    Attributes:
        answer: The answer, every sentence followed by its ``[n]`` markers (1..k); the
            refusal text when ``refused``.
        citations: The sources, in marker order; empty when refused.
        refused: True when the model refused or no sentence was supported.
        dropped: The draft's sentences that were removed (as the model wrote them).
        notes: What happened to each sentence and the counts (kept, fixed, added, dropped).
        model_refused: True when the model itself answered with the refusal (rather than
            writing sentences the passages do not support).
    """

    answer: str
    citations: list[Citation]
    refused: bool
    dropped: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    model_refused: bool = False


@dataclass(frozen=True)
class _Draft:
    """One sentence of the model's draft."""

    raw: str  # as written, markers included
    body: str  # markers and list bullets removed, end punctuation kept
    cited: tuple[int, ...]  # the marker numbers it carried (1-based)
    newline_after: bool


@dataclass(frozen=True)
class _Span:
    """A candidate quote: one sentence, or two neighbouring ones, of a passage."""

    passage: int  # index into the passages
    start: int  # offset in passage.text
    end: int
    width: int  # passage sentences spanned
    grams: frozenset[str]
    numbers: frozenset[str]
    vectors: tuple[np.ndarray, ...]
    text: str = ""  # search form (with a call-out's labels), for the names a sentence must find
    label_grams: frozenset[str] = frozenset()  # a call-out's name and city: what it is about


@dataclass(frozen=True)
class _Support:
    span: _Span
    score: float
    lexical: float
    dense: float


def _norm(text: str) -> str:
    return _NOT_TEXT.sub("", to_search_form(text))


def _bigrams(text: str) -> frozenset[str]:
    norm = _norm(text)
    if len(norm) == 1:
        return frozenset({norm})
    return frozenset(norm[i : i + 2] for i in range(len(norm) - 1))


def _numbers(text: str) -> frozenset[str]:
    return frozenset(_NUMBER.findall(to_search_form(text)))


def _names(text: str) -> frozenset[str]:
    """The quoted names a sentence states (search form): 「學界開發產業技術計畫」 → 学界开发产业技术计划."""
    return frozenset(QUOTED_NAME.findall(to_search_form(text)))


def _unit(vectors: Any) -> list[np.ndarray]:
    out = []
    for vec in vectors:
        arr = np.asarray(vec, np.float32)
        length = float(np.linalg.norm(arr))
        out.append(arr / length if length > 0 else arr)
    return out


def _embed(embed: Any, texts: list[str]) -> list[np.ndarray]:
    if not texts:
        return []
    if hasattr(embed, "embed_documents"):
        return _unit(embed.embed_documents(texts))
    return _unit(embed(texts))


def traditional_characters(text: str) -> str:
    """Simplified characters turned Traditional (Taiwan variants), the words left as written.

    For text shown while it is written, before :func:`traditional_wording` sees the whole.
    """
    return _S2TW.convert(text)


def traditional_wording(text: str, source_text: str = "") -> str:
    """``text`` in Traditional Chinese with Taiwan wording, the documents' own wording kept.

    OpenCC ``s2twp`` also rewrites words that are already Traditional (循環 -> 迴圈, an IT
    term); a rewrite is undone where the documents (``source_text``) use the original word.
    """
    plain = _S2TW.convert(text)
    taiwan = to_traditional(text)
    if plain == taiwan or not source_text:
        return _documents_variants(taiwan, source_text)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, plain, taiwan, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(plain[i1:i2])
            continue
        original = plain[i1:i2]
        # A single character says little: look for it with a neighbour in the documents.
        contexts = [original] if len(original) >= 2 else [plain[max(0, i1 - 1) : i2], plain[i1 : i2 + 1]]
        kept = original and any(len(c) >= 2 and c in source_text for c in contexts)
        out.append(original if kept else taiwan[j1:j2])
    return _documents_variants("".join(out), source_text)


def _documents_variants(text: str, source_text: str) -> str:
    """Variant spellings OpenCC picks (計劃) turned into the documents' own (計畫)."""
    if not source_text:
        return text
    for variant, official in _VARIANTS:
        if variant in text and official in source_text and variant not in source_text:
            text = text.replace(variant, official)
    return text


def split_draft(text: str) -> list[_Draft]:
    """The draft's sentences with the markers each carries.

    Markers written after the closing punctuation (``…轉型。[1]``) belong to the sentence
    before them.
    """
    pieces: list[list[Any]] = []  # [raw, newline_after]
    for line_match in re.finditer(r"[^\n]+|\n", text):
        line = line_match.group(0)
        if line == "\n":
            if pieces:
                pieces[-1][1] = True
            continue
        for match in _SENTENCE.finditer(line):
            piece = match.group(0)
            lead = re.match(r"^(?:\s*[\[【［]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】］])+", piece)
            if lead and pieces and not pieces[-1][1]:
                pieces[-1][0] += lead.group(0)
                piece = piece[lead.end() :]
            if piece.strip():
                pieces.append([piece, False])
    drafts = []
    for raw, newline_after in pieces:
        cited: list[int] = []
        for match in _MARKER.finditer(raw):
            for number in re.split(r"\s*[,，、]\s*", match.group(1)):
                if int(number) not in cited:
                    cited.append(int(number))
        body = _LIST_LEAD.sub("", _MARKER.sub("", raw)).strip()
        drafts.append(_Draft(raw.strip(), body, tuple(cited), newline_after))
    return drafts


def _with_markers(body: str, numbers: Sequence[int]) -> str:
    """``…轉型[1][2]。``: the markers before the sentence's closing punctuation."""
    marks = "".join(f"[{n}]" for n in numbers)
    match = _END_PUNCT.search(body)
    if match:
        return f"{body[: match.start()]}{marks}{match.group(0)}"
    return f"{body}{marks}。"


#: The enforcer's defaults are the settings' defaults (one source: core/settings.py).
_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(Settings)}
_E5_BAND = SIMILARITY_BANDS[BUNDLED_E5]


class CitationEnforcer:
    """Checks a generated answer against its passages (see the module docstring).

    The defaults are first guesses to be calibrated on the gold set; the assistant builds its
    enforcer with :meth:`from_settings` (``KEZHUAN_ENFORCER_*``, ``KEZHUAN_SIMILARITY_*``).

    Args:
        support_threshold: Support (0-1) a cited span needs for the citation to stand,
            and a sentence needs to be kept at all.
        add_threshold: Support an uncited sentence needs before a citation is added to it
            (higher: only a clear match earns an unasked-for citation).
        lexical_weight: Share of lexical support in the combined score when embeddings are
            available (the rest is semantic).
        dense_floor: Cosine similarity that counts as no semantic match (the floor of the
            embedding model's band, :attr:`core.settings.Settings.similarity_band`).
        dense_span: Similarity above the floor that counts as a full semantic match (the
            band's width).
        refusal_overlap: Share of a sentence's bigrams found in the refusal text above
            which the sentence is a refusal.
        window: Most neighbouring passage sentences one quote may span.
        prefer_shorter: A one-sentence quote within this much of the best score is
            preferred to a longer one.
        label_claim_share: A call-out's name and city lines count towards the support of its
            statements (「X中心的使命是…」 by the mission line under the name X) once the
            statement itself holds this share of what the sentence says besides them; a
            sentence that only names the center gets nothing from them.
        rank_margin: A citation the enforcer picks itself (a wrong ``[n]`` moved, a missing
            one added) goes to the first passage, in prompt order, that supports the
            sentence (above the threshold) within this much of the best support. The
            passages come best first, those holding the extractive answer's evidence first:
            a sentence that paraphrases both the body text and the map call-out it was
            chosen for is cited with the evidence the extractive answerer chose for the
            question (the call-out line for a center's 使命 or 角色), not with whichever
            wording the model happened to copy.
    """

    def __init__(
        self,
        support_threshold: float = _DEFAULTS["enforcer_support_threshold"],
        add_threshold: float = _DEFAULTS["enforcer_add_threshold"],
        lexical_weight: float = _DEFAULTS["enforcer_lexical_weight"],
        dense_floor: float = _E5_BAND[0],
        dense_span: float = _E5_BAND[1] - _E5_BAND[0],
        refusal_overlap: float = _DEFAULTS["enforcer_refusal_overlap"],
        window: int = _DEFAULTS["enforcer_window"],
        prefer_shorter: float = _DEFAULTS["enforcer_prefer_shorter"],
        label_claim_share: float = _DEFAULTS["enforcer_label_claim_share"],
        rank_margin: float = _DEFAULTS["enforcer_rank_margin"],
    ) -> None:
        for name, value in (
            ("support_threshold", support_threshold),
            ("add_threshold", add_threshold),
            ("lexical_weight", lexical_weight),
            ("refusal_overlap", refusal_overlap),
            ("label_claim_share", label_claim_share),
            ("rank_margin", rank_margin),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1. Currently, {name} is {value}.")
        if dense_span <= 0:
            raise ValueError(f"dense_span must be greater than 0. Currently, dense_span is {dense_span}.")
        if window < 1:
            raise ValueError(f"window must be 1 or more. Currently, window is {window}.")
        self.support_threshold = support_threshold
        self.add_threshold = add_threshold
        self.lexical_weight = lexical_weight
        self.dense_floor = dense_floor
        self.dense_span = dense_span
        self.refusal_overlap = refusal_overlap
        self.window = window
        self.prefer_shorter = prefer_shorter
        self.label_claim_share = label_claim_share
        self.rank_margin = rank_margin

    @classmethod
    def from_settings(cls, settings: Settings) -> CitationEnforcer:
        """The enforcer the settings describe (``enforcer_*`` and the model's similarity band)."""
        floor, full = settings.similarity_band
        return cls(
            support_threshold=settings.enforcer_support_threshold,
            add_threshold=settings.enforcer_add_threshold,
            lexical_weight=settings.enforcer_lexical_weight,
            dense_floor=floor,
            dense_span=full - floor,
            refusal_overlap=settings.enforcer_refusal_overlap,
            window=settings.enforcer_window,
            prefer_shorter=settings.enforcer_prefer_shorter,
            label_claim_share=settings.enforcer_label_claim_share,
            rank_margin=settings.enforcer_rank_margin,
        )

    # -- candidate quotes ------------------------------------------------------------------
    def _spans(
        self,
        passages: Sequence[Passage],
        embed: Any,
        sentences: Callable[[Passage], Sequence[Any]] | None,
    ) -> list[_Span]:
        per_passage: list[list[tuple[int, int]]] = [sentence_spans(p.text) for p in passages]
        vectors: dict[tuple[int, int], np.ndarray] = {}
        if embed is not None or sentences is not None:
            if sentences is not None:  # the index's own sentence vectors, matched by offset
                for i, passage in enumerate(passages):
                    for record in sentences(passage):
                        offset = int(record.start) - passage.start
                        if getattr(record, "vector", None) is not None:
                            vectors[(i, offset)] = _unit([record.vector])[0]
            missing = [
                (i, a, b) for i, spans in enumerate(per_passage) for a, b in spans if (i, a) not in vectors
            ]
            if missing and embed is not None:
                texts = [passages[i].text[a:b] for i, a, b in missing]
                for (i, a, _), vec in zip(missing, _embed(embed, texts), strict=True):
                    vectors[(i, a)] = vec
        out: list[_Span] = []
        for i, spans in enumerate(per_passage):
            text = passages[i].text
            labels = callout_labels(passages[i])  # a bare name or city proves nothing
            # ...but it says what the call-out's statements are about: 「X中心的使命是…」 is
            # backed by the mission line under the label X, though the line never names X.
            label_text = "\n".join(line for line in text.split("\n") if line in labels)
            label_grams: frozenset[str] = frozenset().union(*(_bigrams(label) for label in labels))
            for k in range(len(spans)):
                for width in range(1, self.window + 1):
                    if k + width > len(spans):
                        break
                    a, b = spans[k][0], spans[k + width - 1][1]
                    if any(text[x:y].strip() in labels for x, y in spans[k : k + width]):
                        continue
                    vecs = tuple(vectors[(i, s)] for s, _ in spans[k : k + width] if (i, s) in vectors)
                    out.append(
                        _Span(
                            i,
                            a,
                            b,
                            width,
                            _bigrams(text[a:b]),
                            _numbers(text[a:b]),
                            vecs,
                            to_search_form(f"{label_text}\n{text[a:b]}" if label_text else text[a:b]),
                            label_grams,
                        )
                    )
        return out

    def _support(
        self,
        grams: frozenset[str],
        numbers: frozenset[str],
        vector: Any,
        span: _Span,
        names: frozenset[str] = frozenset(),
    ) -> _Support:
        if not grams or not numbers <= span.numbers:
            return _Support(span, 0.0, 0.0, 0.0)  # a number the span does not state: unsupported
        if any(name not in span.text for name in names):
            # A program or center the span does not name: 「學界…計畫」 is not backed by the
            # sentence about 「業界…計畫」, however many other words they share.
            return _Support(span, 0.0, 0.0, 0.0)
        lexical = len(grams & span.grams) / len(grams)
        claim = grams - span.label_grams  # what the sentence says beyond the call-out's name and city
        if span.label_grams and claim and len(claim & span.grams) / len(claim) >= self.label_claim_share:
            # The statement backs the claim, and its label the name the sentence gives it.
            lexical = len(grams & (span.grams | span.label_grams)) / len(grams)
        if vector is None or not span.vectors:
            return _Support(span, lexical, lexical, 0.0)
        cosine = max(float(np.dot(vector, v)) for v in span.vectors)
        dense = float(np.clip((cosine - self.dense_floor) / self.dense_span, 0.0, 1.0))
        score = self.lexical_weight * lexical + (1.0 - self.lexical_weight) * dense
        return _Support(span, score, lexical, dense)

    def _best_per_passage(
        self, body: str, vector: Any, spans: Sequence[_Span], n_passages: int
    ) -> list[_Support | None]:
        grams, numbers, names = _bigrams(body), _numbers(body), _names(body)
        best: list[_Support | None] = [None] * n_passages
        single: list[_Support | None] = [None] * n_passages
        for span in spans:
            support = self._support(grams, numbers, vector, span, names)
            current = best[span.passage]
            if current is None or support.score > current.score:
                best[span.passage] = support
            one = single[span.passage]
            if span.width == 1 and (one is None or support.score > one.score):
                single[span.passage] = support
        for i, (b, s) in enumerate(zip(best, single, strict=True)):
            if b is not None and s is not None and s.score >= b.score - self.prefer_shorter:
                best[i] = s
        return best

    def _first_near_best(self, best: Sequence[_Support | None], top: _Support, threshold: float) -> _Support:
        """The first passage's support within ``rank_margin`` of ``top`` (and above ``threshold``)."""
        floor = max(threshold, top.score - self.rank_margin)
        return next((s for s in best if s is not None and s.score >= floor), top)

    # -- refusals ----------------------------------------------------------------------------
    def _is_refusal(self, body: str, refusal_grams: frozenset[str]) -> bool:
        grams = _bigrams(body)
        if len(grams) < 6 or not refusal_grams:
            return False
        return len(grams & refusal_grams) / len(grams) >= self.refusal_overlap

    # -- the whole check ---------------------------------------------------------------------
    def enforce(
        self,
        answer_text: str,
        passages: Sequence[Passage],
        *,
        embed: EmbedFn | Any = None,
        sentences: Callable[[Passage], Sequence[Any]] | None = None,
        refusal_text: str = REFUSAL_HANT,
        script: str = "hant",
    ) -> EnforcedAnswer:
        """Keep the supported sentences of ``answer_text`` with correct, exact citations.

        Args:
            answer_text: The model's draft, with ``[n]`` markers numbering ``passages`` from 1.
            passages: The passages the model was shown, in prompt order.
            embed: A langchain ``Embeddings`` or a function from texts to vectors, for
                semantic support; None for lexical support only.
            sentences: The index's sentences of a passage (objects with ``start`` in the
                cleaned source and ``vector``), to reuse their stored vectors.
            refusal_text: The refusal, in the answer's script; returned when refusing and
                used to recognise a refusing model.
            script: ``hant`` (OpenCC s2twp: Traditional, Taiwan wording), ``hans`` (t2s) or
                ``""`` to leave the answer's characters alone. Words the passages use are
                kept as they are written there. Quotes always stay exact.
        """
        if script not in ("hant", "hans", ""):
            raise ValueError(f"script must be 'hant', 'hans' or '', not {script!r}.")
        source_text = "\n".join(p.text for p in passages)
        convert: Callable[[str], str] = {
            "hant": lambda s: traditional_wording(s, source_text),
            "hans": to_simplified,
        }.get(script, lambda s: s)
        drafts = split_draft(answer_text)
        # The model is told to reply with the refusal's first sentence; the rest of it (the
        # topics the documents cover) shares words with real answers (科技專案).
        refusal_grams = _bigrams(re.split(r"(?<=[。！？!?])", refusal_text, maxsplit=1)[0])
        notes: dict[str, Any] = {"sentences": []}
        counts = {"kept": 0, "fixed": 0, "added": 0, "dropped": 0}

        def refuse(reason: str, dropped: list[str]) -> EnforcedAnswer:
            notes["reason"] = reason
            notes.update(counts)
            return EnforcedAnswer(refusal_text, [], True, dropped, notes)

        if not drafts:
            return refuse("empty draft", [])
        if self._is_refusal(drafts[0].body, refusal_grams):
            refused = refuse("the model refused", [])
            refused.model_refused = True
            return refused

        spans = self._spans(passages, embed, sentences)
        vectors: list[Any] = [None] * len(drafts)
        if embed is not None and spans:
            vectors = list(_embed(embed, [d.body for d in drafts]))

        kept: list[tuple[_Draft, list[_Support]]] = []
        dropped: list[str] = []
        seen: set[str] = set()
        for draft, vector in zip(drafts, vectors, strict=True):
            record: dict[str, Any] = {"text": draft.raw, "cited": list(draft.cited)}
            notes["sentences"].append(record)
            norm = _norm(draft.body)
            if not norm or norm in seen:
                record["action"] = "skipped (empty or repeated)"
                continue
            if self._is_refusal(draft.body, refusal_grams):
                record["action"] = "dropped (a refusal inside an answer)"
                dropped.append(draft.raw)
                counts["dropped"] += 1
                continue
            seen.add(norm)
            best = self._best_per_passage(draft.body, vector, spans, len(passages))
            valid_cited = [n for n in draft.cited if 1 <= n <= len(passages)]
            supporting = [
                s for n in valid_cited if (s := best[n - 1]) is not None and s.score >= self.support_threshold
            ]
            top = max((s for s in best if s is not None), key=lambda s: s.score, default=None)
            record["support"] = round(top.score, 4) if top else 0.0
            if supporting:
                action = "kept"
            elif draft.cited and top is not None and top.score >= self.support_threshold:
                supporting, action = [self._first_near_best(best, top, self.support_threshold)], "fixed"
            elif not draft.cited and top is not None and top.score >= self.add_threshold:
                supporting, action = [self._first_near_best(best, top, self.add_threshold)], "added"
            else:
                record["action"] = "dropped (unsupported)"
                dropped.append(draft.raw)
                counts["dropped"] += 1
                continue
            record["action"] = action
            counts[action] += 1
            kept.append((draft, supporting))

        if not kept:
            return refuse("no sentence of the draft is supported by the passages", dropped)

        numbering: dict[tuple[int, int, int], int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        for draft, supporting in kept:
            numbers: list[int] = []
            for support in supporting:
                span = support.span
                key = (span.passage, span.start, span.end)
                if key not in numbering:
                    numbering[key] = len(numbering) + 1
                    passage = passages[span.passage]
                    citations.append(
                        Citation(
                            n=numbering[key],
                            passage_id=passage.id,
                            source=passage.source,
                            section=passage.section,
                            text=passage.text,
                            quote=passage.text[span.start : span.end],
                            start=passage.start + span.start,
                            end=passage.start + span.end,
                            score=round(support.score, 4),
                            title=passage.title,
                            publisher=passage.publisher,
                            text_start=passage.start,
                        )
                    )
                else:
                    n = numbering[key]
                    old = citations[n - 1]
                    if support.score > old.score:
                        citations[n - 1] = _rescored(old, support.score)
                if numbering[key] not in numbers:
                    numbers.append(numbering[key])
            parts.append(_with_markers(convert(draft.body), numbers) + ("\n" if draft.newline_after else ""))
        notes.update(counts)
        return EnforcedAnswer("".join(parts).strip(), citations, False, dropped, notes)


def _rescored(citation: Citation, score: float) -> Citation:
    return replace(citation, score=round(score, 4))


def enforce_citations(
    answer_text: str,
    passages: Sequence[Passage],
    embed: EmbedFn | Any = None,
    refusal_text: str = REFUSAL_HANT,
    *,
    sentences: Callable[[Passage], Sequence[Any]] | None = None,
    script: str = "hant",
    enforcer: CitationEnforcer | None = None,
) -> EnforcedAnswer:
    """Enforce the citations of a generated answer with default (or given) thresholds.

    See :meth:`CitationEnforcer.enforce` for the arguments.
    """
    return (enforcer or CitationEnforcer()).enforce(
        answer_text, passages, embed=embed, sentences=sentences, refusal_text=refusal_text, script=script
    )
