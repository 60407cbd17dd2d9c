"""The tunables moved into :class:`core.settings.Settings` (issue 16) change what they should,
whether set on the dataclass or through their ``KEZHUAN_*`` variable, and bad values say how to
fix them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.answer import ExtractiveAnswerer
from assistant.evidence import Evidence, QueryTerms, SentenceRecord, Term
from assistant.language import is_english
from assistant.query import analyse
from assistant.refusal import veto
from assistant.reply import Passage
from assistant.scope import refusal_text
from core.errors import SettingsError
from core.settings import Settings
from ingest.records import pipeline_key
from ingest.structure import parse_document
from ui.feedback import FeedbackStore


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KEZHUAN_MAX_FACETS": "0"}, "max_facets must be greater than 0.*KEZHUAN_MAX_FACETS"),
        ({"KEZHUAN_YES_SHARE": "1.5"}, "yes_share must be between 0 and 1.*KEZHUAN_YES_SHARE"),
        ({"KEZHUAN_SENTENCE_GAP_CHARS": "-1"}, "sentence_gap_chars must be 0 or more"),
        ({"KEZHUAN_TYPE_SEARCH_DEPTH": "deep"}, "KEZHUAN_TYPE_SEARCH_DEPTH='deep' is not a valid int"),
        ({"KEZHUAN_ANSWER_WEIGHTS_RANK": "0.3"}, "must add up to 1, not 1.2"),
        ({"KEZHUAN_ANSWER_CROSS_LINGUAL_FLOOR": "0.95"}, "cosine similarity"),
        ({"KEZHUAN_ENGLISH_WEIGHTS_RANK": "0.3"}, "english_weights_rank must add up to 1, not 1.2"),
        ({"KEZHUAN_SUPPORT_COVERAGE_SHARE": "2"}, "support_coverage_share must be between 0 and 1"),
        ({"KEZHUAN_MAX_BODY_BYTES": "0"}, "max_body_bytes must be greater than 0"),
    ],
)
def test_bad_values_of_the_new_fields_say_how_to_fix_them(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ=env)


def test_the_answerer_reads_its_figures_from_the_settings() -> None:
    settings = Settings.from_env(
        environ={"KEZHUAN_LIST_SCORE_RATIO": "0.9", "KEZHUAN_MAX_ANSWER_SENTENCES": "2"}
    )
    answerer = ExtractiveAnswerer(settings)
    assert (answerer.list_score_ratio, answerer.max_sentences) == (0.9, 2)
    english = {"KEZHUAN_ENGLISH_WEIGHTS_NAME": "0.6", "KEZHUAN_ENGLISH_WEIGHTS_MEANING": "0.3"}
    assert ExtractiveAnswerer(Settings.from_env(environ=english)).english_weights == (0.6, 0.3, 0.1)
    assert ExtractiveAnswerer(refusal_threshold=0.3).refusal_threshold == 0.3  # a change, validated
    with pytest.raises(SettingsError, match="shape_weight must be between 0 and 1"):
        ExtractiveAnswerer(shape_weight=2.0)


def test_a_repeated_character_message_is_no_question_from_the_settings_length() -> None:
    assert analyse("哈哈哈").kind != "not_a_question"  # three characters: below the default of 4
    three = Settings.from_env(environ={"KEZHUAN_REPEATED_MIN_CHARS": "3"})
    assert analyse("哈哈哈", None, three).kind == "not_a_question"
    assert analyse("哈哈哈哈").kind == "not_a_question"


def test_what_counts_as_english_follows_the_settings() -> None:
    question = "AI for 研發計畫的補助怎麼申請"  # two English words, one a frame word; fewer letters than CJK
    assert not is_english(question)
    assert is_english(question, Settings.from_env(environ={"KEZHUAN_ENGLISH_SENTENCE_WORDS": "2"}))


def test_the_refusal_names_as_many_documents_as_the_settings_allow() -> None:
    titles = {f"{i}.txt": f"文件{i}" for i in range(5)}
    assert "等 5 份文件" not in refusal_text({}, titles)  # the default lists up to 8
    most = Settings.from_env(environ={"KEZHUAN_MAX_LISTED_DOCUMENTS": "2"}).max_listed_documents
    text = refusal_text({}, titles, most)
    assert "《文件0》、《文件1》等 5 份文件" in text and "文件2" not in text


def _evidence(text: str) -> Evidence:
    passage = Passage(id=text[:8], source="doc.txt", section="", text=text, start=0, end=len(text))
    sentence = SentenceRecord(id=text, text=text, start=0, end=len(text), vector=np.zeros(2, np.float32))
    return Evidence(sentence, passage, rank=0, dense=0.9, coverage=1.0, context_coverage=1.0)


def test_the_type_veto_searches_as_deep_as_the_settings_say() -> None:
    query = QueryTerms(
        question="嘉义中心的电话几号？",
        terms=(Term(("电话",), 1.0),),
        numbers=(),
        cjk=True,
        foreign_share=0.0,
    )
    evidence = [_evidence(f"嘉義中心第{i}項業務說明") for i in range(3)] + [
        _evidence("嘉義中心聯絡電話：05-271-7000")
    ]
    assert veto(query, evidence, evidence[0], 0.25)[0] == ""  # the phone number is among the 8 best
    shallow = Settings.from_env(environ={"KEZHUAN_TYPE_SEARCH_DEPTH": "3"})
    assert veto(query, evidence, evidence[0], 0.25, shallow)[0] == "missing_type"


def test_the_plain_text_heading_and_title_lengths_are_settings() -> None:
    raw = "科技專案補助說明\n\n本辦法說明如何申請補助，請詳閱下列規定。\n\n申請者應於期限內提出文件。\n"
    assert parse_document(raw, "txt")[1].get("title") == "科技專案補助說明"
    short_title = Settings.from_env(environ={"KEZHUAN_TITLE_CHARS": "5"})
    assert parse_document(raw, "txt", settings=short_title)[1].get("title", "") != "科技專案補助說明"
    inner = "本辦法說明如何申請補助。\n\n申請資格說明\n\n申請者應於期限內提出文件。\n"
    sections = {b.section for b in parse_document(inner, "txt")[0].blocks}
    assert "申請資格說明" in sections
    short = Settings.from_env(environ={"KEZHUAN_HEADING_CHARS": "5"})
    assert "申請資格說明" not in {b.section for b in parse_document(inner, "txt", settings=short)[0].blocks}


def test_settings_that_change_the_index_change_the_pipeline_key() -> None:
    base = Settings.from_env(environ={})
    for name, value in (
        ("label_repeats", 1),
        ("heading_chars", 12),
        ("furniture_lines", 3),
        ("law_first_article_lines", 9),
    ):
        assert pipeline_key(base.replace(**{name: value})) != pipeline_key(base), name
    assert pipeline_key(base.replace(paraphrase_weight=0.5)) == pipeline_key(base)  # answering only


def test_a_long_feedback_reason_is_cut_at_the_settings_length(tmp_path: Path) -> None:
    most = Settings.from_env(environ={"KEZHUAN_MAX_REASON_CHARS": "10"}).max_reason_chars
    store = FeedbackStore(tmp_path / "f.jsonl", most)
    entry = store.record_reason(reply_id="r1", reason="這個回答沒有回答我問的申請期限問題")
    assert entry["reason"] == "這個回答沒有回答我問"
