"""The speller: typos corrected against the documents' vocabulary, real words and abbreviations kept."""

from __future__ import annotations

from assistant.speller import Speller
from core.text import to_search_form

_TEXT = "嘉義產業創新研發中心以食品製程為研發重點。產業技術司推動傳統產業創新。資通訊領域。公司設立。"
_BIGRAMS: dict[str, int] = {}
for _run in _TEXT.split("。"):
    for _i in range(len(_run) - 1):
        _BIGRAMS[_run[_i : _i + 2]] = _BIGRAMS.get(_run[_i : _i + 2], 0) + 1


def _speller() -> Speller:
    # Each phrase occurs once in this small vocabulary: one passage is frequent enough here.
    return Speller(
        {to_search_form(k): v for k, v in _BIGRAMS.items()}, names=["嘉义", "技术司"], min_corpus_frequency=1
    )


def test_speller_corrects_homophones() -> None:
    fixed, fixes = _speller().correct("研发种点")
    assert fixed == "研发重点" and fixes


def test_speller_corrects_one_edit_to_a_name() -> None:
    fixed, _ = _speller().correct("喜义中心")
    assert fixed == "嘉义中心"


def test_speller_leaves_real_words_alone() -> None:
    # 民宿 and 電話 are words of general Chinese (jieba's dictionary): not typos.
    assert _speller().correct("民宿")[0] == "民宿"
    assert _speller().correct("电话")[0] == "电话"


def test_speller_does_not_turn_a_function_word_into_a_name() -> None:
    # 幫中小企業: 幫 is a function character and 中小 a word; no 台中/嘉义 here.
    assert _speller().correct("帮中小企业")[0] == "帮中小企业"


def test_speller_corrects_only_to_words_the_documents_use_often() -> None:
    # 重點 occurs once in the documents: below min_corpus_frequency=2 it is no correction (unless
    # it is a common word of general Chinese, which here no word is: rare_frequency is out of reach).
    strict = Speller(
        {to_search_form(k): v for k, v in _BIGRAMS.items()}, min_corpus_frequency=2, rare_frequency=10**9
    )
    assert strict.correct("研发种点")[0] == "研发种点"


def test_speller_leaves_a_character_between_function_words_alone() -> None:
    # 有「舉」哪些: 有具 would be a bigram of the documents but is no word of general Chinese.
    speller = Speller(
        {to_search_form(k): v for k, v in {**_BIGRAMS, "有具": 3}.items()}, min_corpus_frequency=1
    )
    assert speller.correct("有举哪些例子")[0] == "有举哪些例子"


def test_speller_replaces_a_rare_word_by_a_frequent_homophone_of_the_documents() -> None:
    # 上線 is a word of general Chinese, but a rare one; the documents say 上限 often.
    speller = Speller({"上限": 5, "补助": 5})
    fixed, fixes = speller.correct("补助上线是多少")
    assert fixed == "补助上限是多少" and ("上线", "上限") in fixes
    # A common word is never replaced (民宿 is rare but the documents have no homophone).
    assert Speller({"上限": 5}).correct("民宿")[0] == "民宿"


def test_speller_keeps_a_word_far_more_common_than_the_documents_homophone() -> None:
    # 司長 (788 in jieba's counts) sounds like 四章 (13), which laws write often (第四章); general
    # Chinese barely writes 四章, so 司長 is the word meant, not a slip (typo_min_frequency_ratio).
    assert Speller({"四章": 9, "技术": 9}).correct("技术司长是谁")[0] == "技术司长是谁"
    assert Speller({"四章": 9}, min_frequency_ratio=0.0).correct("司长是谁")[0] == "四章是谁"


def test_general_frequency_reads_jiebas_counts() -> None:
    from assistant.lexicon import general_frequency

    assert general_frequency("对象") > 1000 > general_frequency("税率") > 0
    assert general_frequency("海旋") == 0


def test_speller_replaces_a_word_no_dictionary_has_by_a_known_homophone() -> None:
    # 幾念 and 公作 are in neither the documents nor jieba's dictionary; 念 and 公 are common
    # characters (the character pass skips them) and 幾 a question character (never replaced).
    speller = Speller({"停权": 3, "年度": 5, "工作": 4, "报告": 4})
    fixed, fixes = speller.correct("会被停权几念")
    assert fixed == "会被停权几年" and ("几念", "几年") in fixes
    assert speller.correct("公作报告")[0] == "工作报告"
    # A word of general Chinese, and a word the documents use, stay as written.
    assert speller.correct("民宿老板")[0] == "民宿老板"
    assert Speller({"停权": 3, "念书": 3}).correct("停权几念")[0] == "停权几念"


def test_speller_does_not_take_a_neighbour_from_a_word_the_segmenter_found() -> None:
    # 開發|占比: 發 belongs to 開發, so 占 is not read as 展 of 發展 (a bigram across two words).
    speller = Speller({"发展": 50, "开发": 50, "比率": 20}, min_corpus_frequency=3)
    assert speller.correct("技术开发占比多少")[0] == "技术开发占比多少"
    # The same on the right: 實 belongs to 實驗, so 霧 does not become 務 of 務實.
    assert Speller({"务实": 20, "实验": 20}, min_corpus_frequency=3).correct("雾实验")[0] == "雾实验"
    # A neighbour standing alone still pairs: 研發種點 → 研發重點 (重點; 點 is no word's).
    assert Speller({"重点": 5, "研发": 5}, min_corpus_frequency=3).correct("研发种点")[0] == "研发重点"


def test_speller_leaves_a_noun_with_its_localizer_alone() -> None:
    # 條裡 is no word, but 裡 is a localizer after 條 (jieba's tag f): not a slip for 條例.
    speller = Speller({"条例": 20, "补助": 20, "对象": 20}, min_corpus_frequency=3)
    assert speller.correct("办法第3条里服务业的补助对象")[0] == "办法第3条里服务业的补助对象"
    # A two-character slip with no localizer is still read: 幾念 → 幾年.
    assert Speller({"停权": 3, "年度": 5}).correct("会被停权几念")[0] == "会被停权几年"


def test_speller_leaves_a_character_of_a_longer_dictionary_word_alone() -> None:
    # 院 of 工研院 and 中研院 forms no bigram the documents or jieba know (研院), but the three
    # characters are a word of jieba's dictionary: no slip for the name 研發.
    speller = Speller({"研发": 10, "资策": 5}, names=["研发"], min_corpus_frequency=1)
    assert speller.correct("工研院跟资策会")[0] == "工研院跟资策会"
    assert speller.correct("中研院的研究")[0] == "中研院的研究"
    # A slip inside no longer word is still corrected: 研院 alone becomes 研發.
    assert speller.correct("他们研院的重点")[0] == "他们研发的重点"


def _documents(*passages: str) -> tuple[dict[str, int], str]:
    """The bigram document frequencies and the searchable text of a few passages (search form)."""
    texts = [to_search_form(p) for p in passages]
    bigrams: dict[str, int] = {}
    for text in texts:
        for gram in {text[i : i + 2] for i in range(len(text) - 1)}:
            bigrams[gram] = bigrams.get(gram, 0) + 1
    return bigrams, "\n".join(texts)


def test_an_abbreviation_of_two_words_of_the_documents_is_no_typo() -> None:
    # 產創 and 青創 are in no dictionary; each character opens one of two adjacent words the
    # documents write (產業創新, 青年創業) in enough places: abbreviations, kept.
    bigrams, text = _documents(*(["產業創新條例的新創事業", "青年創業貸款與新創公司"] * 3))
    speller = Speller(bigrams, names=["新創"], min_corpus_frequency=3, text=text)
    assert speller.abbreviates("产创") and speller.abbreviates("青创")
    assert speller.correct("产创条例")[0] == "产创条例"
    assert speller.correct("青创贷款")[0] == "青创贷款"
    # Without the documents' text the same slip is read as the name it is one edit from.
    assert Speller(bigrams, names=["新创"], min_corpus_frequency=3).correct("青创贷款")[0] == "新创贷款"
    # Written in too few places (here once), the pair is no abbreviation of the documents.
    few_bigrams, few_text = _documents("青年創業貸款", *(["新創公司"] * 3))
    assert not Speller(few_bigrams, min_corpus_frequency=3, text=few_text).abbreviates("青创")


def test_a_replacement_that_straddles_two_words_of_the_documents_is_refused() -> None:
    # The documents write 技專 only inside 科技|專案; 技轉 (of 技術移轉) is not a slip for it.
    bigrams, text = _documents(*(["科技專案的技術移轉", "推動科技專案"] * 3))
    speller = Speller(bigrams, min_corpus_frequency=3, text=text)
    assert speller.straddles("技专") and not speller.straddles("科技")
    assert speller.correct("技转怎么申请")[0] == "技转怎么申请"
    # Without the text to read, the bigram alone would make the correction.
    assert Speller(bigrams, min_corpus_frequency=3).correct("技转怎么申请")[0] == "技专怎么申请"
    # A real word of the documents still corrects a slip: 研發種點 → 研發重點.
    bigrams, text = _documents(*(["研發重點在於製程", "以研發重點"] * 2))
    assert Speller(bigrams, min_corpus_frequency=3, text=text).correct("研发种点")[0] == "研发重点"


def test_a_name_written_once_is_corrected_by_a_homophone_of_its_three_characters() -> None:
    # 好牧人 is written once; 木人 is a (rare) word of general Chinese, so the character pass
    # spares it, but 好木人 → 好牧人 makes a run of three characters the documents write.
    bigrams, text = _documents("第一案是好牧人的案件，正在進行公司設立登記", "設立登記程序", "公司章程")
    speller = Speller(bigrams, min_corpus_frequency=3, text=text)
    fixed, fixes = speller.correct(to_search_form("好木人那間公司設立登記是誰在幫忙辦"))
    assert fixed.startswith("好牧人") and ("好木人", "好牧人") in fixes
    # A run the documents already write a bigram of is the asker's own: 設立 stays.
    assert speller.correct(to_search_form("設立登記"))[0] == to_search_form("設立登記")
    # Without the documents' text there is no run to read.
    assert Speller(bigrams, min_corpus_frequency=3).correct("好木人")[0] == "好木人"


def test_a_common_word_or_a_function_character_is_no_run_to_correct() -> None:
    # 的事業 is written, but 失業 is a common word and 的 a function character: 勞保的失業給付 stays.
    bigrams, text = _documents("推動中小企業的事業發展", "事業單位", "給付標準")
    speller = Speller(bigrams, min_corpus_frequency=3, text=text)
    assert speller.correct(to_search_form("勞保的失業給付"))[0] == to_search_form("勞保的失業給付")


def test_a_word_no_dictionary_has_becomes_a_common_homophone_the_documents_need_not_write() -> None:
    # 定意 is in no dictionary; 定義 is a common word of general Chinese, though a law writes
    # 「所稱…，指…」 rather than 定義: the question means it all the same.
    speller = Speller({"促进": 5, "企业": 9, "义务": 3})  # 義 is a character of the documents
    fixed, fixes = speller.correct("中小企业促进法里中小企业的定意是什么")
    assert "的定义是什么" in fixed and ("定意", "定义") in fixes
    # A rare word of general Chinese is no such replacement (過目 for 過木 is not common).
    assert speller.correct("有没有辅导过木竹制品业")[0] == "有没有辅导过木竹制品业"


def test_two_grammatical_words_side_by_side_are_no_misspelt_word() -> None:
    # 這是 is in no dictionary as one word, but 這 and 是 are words of their own; 這時 sounds
    # the same and is common, yet 「這是第幾條」 has no typo.
    speller = Speller({"这时": 3, "条规": 3, "规定": 5})
    assert speller.correct("这是第几条规定的")[0] == "这是第几条规定的"
    assert Speller({"工作": 4, "报告": 4}).correct("公作报告")[0] == "工作报告"  # a real slip still is
