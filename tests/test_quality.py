"""The Korean gate: what passes as a Korean summary and what is sent back for a retry."""

from __future__ import annotations

import pytest

from core.quality import (
    check_report,
    check_summary,
    copied_runs,
    count_sentences,
    faithful_sentences,
    hangul_ratio,
    invented_numbers,
    split_sentences,
)

ABSTRACT = (
    "We present MagicQuill, an image editing system built on a multimodal large language "
    "model (MLLM). On 1,000 edits it is preferred by users 72.5% of the time over SDXL, "
    "and Qwen2.5-VL answers within 3 seconds."
)
TITLE = "MagicQuill: An Intelligent Interactive Image Editing System"
GOOD = (
    "이 논문은 사용자가 원하는 대로 이미지를 편집하기 어려운 문제를 다룬다. "
    "저자들은 멀티모달 대형 언어 모델(Multimodal Large Language Model, MLLM)을 이용한 "
    "편집 시스템 'MagicQuill'을 제안한다. 1,000건의 편집에서 사용자는 72.5%의 경우 이 "
    "시스템을 더 선호했다."
)


def gate(text: str, **kwargs):
    return check_summary(text, title=TITLE, abstract=ABSTRACT, min_hangul_ratio=0.5, **kwargs)


def test_a_korean_summary_with_english_terms_in_parentheses_passes_clean():
    result = gate(GOOD)
    assert result.ok and result.clean, result.problems + result.flags


@pytest.mark.parametrize(
    ("text", "code", "shown"),
    [
        # The seed report's own contaminations: Hanja, Vietnamese letters glued to Hangul.
        (
            "이 연구는 重大한 문제를 다룬다. 저자들은 새로운 방법을 제안하고 검증한다.",
            "hanja",
            "重大",
        ),
        (
            "이 연구는 dân족 데이터 문제를 다룬다. 저자들은 새로운 방법을 제안하고 검증한다.",
            "vietnamese",
            "dân족",
        ),
        (
            "이 연구는 đặc biệt 문제를 다룬다. 저자들은 새로운 방법을 제안하고 검증한다.",
            "vietnamese",
            "đ",
        ),
        (
            "이 연구는 鏡像 문제를 다룬다. 저자들은 새로운 방법을 제안하고 결과를 검증한다.",
            "hanja",
            "鏡像",
        ),
        (
            "이 연구는 テスト 문제를 다룬다. 저자들은 새로운 방법을 제안하고 결과를 검증한다.",
            "kana",
            "テスト",
        ),
        (
            "이 연구는 модель 문제를 다룬다. 저자들은 새로운 방법을 제안하고 결과를 검증한다.",
            "cyrillic",
            "модель",
        ),
    ],
)
def test_foreign_scripts_are_rejected_naming_what_was_seen(text, code, shown):
    result = gate(text)
    assert not result.ok
    assert code in {problem.code for problem in result.problems}
    assert shown[:1] in result.reason


def test_an_english_answer_is_rejected_as_not_korean():
    result = gate(
        "This paper presents MagicQuill, an interactive image editing system that users "
        "prefer 72.5% of the time."
    )
    assert not result.ok
    assert "not Korean enough: 0% Hangul" in result.reason


def test_english_outside_parentheses_lowers_the_hangul_share():
    mostly_english = (
        "이 논문은 image editing system with multimodal large language model 을 제안한다."
    )
    assert hangul_ratio(mostly_english) < 0.5
    assert hangul_ratio("강화학습(Reinforcement Learning with Human Feedback)을 쓴다") == 1.0


def test_the_threshold_comes_from_the_caller():
    text = "이 논문은 MagicQuill editing system 을 제안하며 사용자는 이를 선호했다고 보고한다."
    ratio = hangul_ratio(text)
    assert check_summary(text, title=TITLE, abstract=ABSTRACT, min_hangul_ratio=ratio - 0.01).ok
    assert not check_summary(text, title=TITLE, abstract=ABSTRACT, min_hangul_ratio=ratio + 0.01).ok


# --- loopholes: English sentences in quotes or parentheses, copied abstracts ----------------

PLAN_TITLE = "Planning In Natural Language Improves LLM Search For Code Generation"
PLAN_ABSTRACT = (
    "While scaling training compute has led to remarkable improvements in large language "
    "models (LLMs), scaling inference compute has not yet yielded analogous gains. We "
    "hypothesize that a core missing component is a lack of diverse LLM outputs, leading to "
    "inefficient search due to models repeatedly sampling highly similar, yet incorrect "
    "generations. We propose PlanSearch, a novel search algorithm which searches over "
    "candidate plans for solving a problem in natural language. Using PlanSearch on top of "
    "Claude 3.5 Sonnet achieves a pass@200 of 77.0% on LiveCodeBench, outperforming both the "
    "best score achieved without search (pass@1 = 41.4%) and using standard repeated sampling "
    "(pass@200 = 60.6%). We also evaluate GPT-4o and Qwen2.5-7B-Instruct."
)


def plan_gate(text: str):
    return check_summary(text, title=PLAN_TITLE, abstract=PLAN_ABSTRACT, min_hangul_ratio=0.5)


@pytest.mark.parametrize(
    "text",
    [
        # The example: two abstract sentences wrapped in quotes.
        '이 논문은 "While scaling training compute has led to remarkable improvements in large '
        "language models (LLMs), scaling inference compute has not yet yielded analogous gains. "
        'We propose PlanSearch, a novel search algorithm." 라고 설명한다.',
        # English sentences of the model's own, in quotes: not copied, still not Korean.
        '이 논문은 "This work shows that planning helps models write better programs. It also '
        'finds that diverse ideas matter more than many samples." 라고 설명한다.',
        # The same in other quotes and in parentheses.
        "이 논문은 “We hypothesize that a core missing component is a lack of diverse LLM "
        "outputs, leading to inefficient search.”라고 주장한다. 저자들은 새 방법을 제안한다.",
        "이 연구의 요지는 다음과 같다 (We propose PlanSearch, a novel search algorithm which "
        "searches over candidate plans for solving a problem in natural language). 결과가 좋다.",
        "저자들은 「Using PlanSearch on top of Claude 3.5 Sonnet achieves a pass@200 of 77.0% "
        "on LiveCodeBench」라고 보고하며 이 방법이 효과적이라고 말한다.",
        # Not a quote at all: abstract sentences pasted between Korean words.
        "요약하면, we propose PlanSearch, a novel search algorithm which searches over "
        "candidate plans for solving a problem in natural language. 이 방법은 코드 생성 "
        "문제에서 다양한 계획을 먼저 만들고 그 계획을 바탕으로 여러 코드를 생성하여 정답률을 "
        "높이며 여러 모델과 벤치마크에서 기존 반복 샘플링보다 높은 성능을 보였다고 한다.",
    ],
)
def test_english_sentences_in_quotes_parentheses_or_pasted_fail_the_gate(text):
    result = plan_gate(text)
    assert not result.ok, result.hangul_ratio
    assert any(p.code == "low_hangul" for p in result.problems)


def test_a_copied_sentence_is_named_in_the_reason():
    result = plan_gate(
        "이 연구는 코드 생성에서 탐색의 다양성 문제를 다루며 여러 모델로 실험한다. 저자들은 "
        "새로운 탐색 방법을 제안하고 큰 폭의 향상을 보고한다. 핵심 주장은 a core missing "
        "component is a lack of diverse LLM outputs 라는 것이다."
    )
    assert result.reason == (
        "copies the source word for word: 'a core missing component is a lack of diverse llm outputs'"
    )


@pytest.mark.parametrize(
    "text",
    [
        # English terms after their Korean words, an acronym list, numbers from the abstract.
        "이 논문은 대규모 언어 모델(Large Language Models, LLMs)의 추론 시간 연산(inference "
        "compute)을 늘려도 성능이 잘 오르지 않는 문제를 다룬다. 저자들은 자연어로 된 후보 "
        "계획을 먼저 탐색하는 'PlanSearch' 알고리즘을 제안한다. Claude 3.5 Sonnet에 적용하면 "
        "LiveCodeBench에서 pass@200이 77.0%로, 반복 샘플링(60.6%)보다 높다.",
        # Model names with digits, and the whole title in quotes.
        "'Planning In Natural Language Improves LLM Search For Code Generation' 논문은 코드 "
        "생성에서 출력의 다양성이 부족해 탐색이 비효율적이라는 점을 지적한다. 저자들은 "
        "GPT-4o와 Qwen2.5-7B-Instruct 등 여러 모델에서 자연어 계획 탐색의 효과를 검증한다.",
        # A term in double quotes and one in backticks, a multi-word term in parentheses.
        '저자들은 "repeated sampling"이 비슷한 오답을 반복해 만든다고 보고, 계획 공간 탐색'
        "(search over candidate plans in natural language)을 제안한다. `pass@1` 점수는 "
        "41.4%이고 탐색을 쓰면 크게 오른다.",
    ],
)
def test_real_korean_summaries_with_terms_names_titles_and_numbers_pass(text):
    result = plan_gate(text)
    assert result.ok and result.clean, (result.hangul_ratio, result.problems, result.flags)


def test_only_short_spans_are_left_out_of_the_hangul_share():
    term = "강화학습(Reinforcement Learning from Human Feedback, RLHF)으로 모델을 학습한다"
    assert hangul_ratio(term) == 1.0
    sentence = "모델은 (this long English sentence is not a term at all) 학습한다"
    assert hangul_ratio(sentence) < 0.5
    # The paper's own title may be quoted whole, however long.
    title = f"'{PLAN_TITLE}' 논문을 소개한다"
    assert hangul_ratio(title, [PLAN_TITLE]) == 1.0
    assert hangul_ratio(title) < 0.5


def test_copied_runs_are_word_for_word_and_not_the_title():
    assert copied_runs(
        "we propose plansearch, a novel search algorithm which searches", PLAN_ABSTRACT
    ) == ["we propose plansearch a novel search algorithm which searches"]
    # Seven words in a row are a term or a name, not copying.
    assert copied_runs("a novel search algorithm which searches over 를 쓴다", PLAN_ABSTRACT) == []
    # The title is quoted, not copied, even where the abstract repeats it.
    source = f"{PLAN_TITLE}\n{PLAN_ABSTRACT}"
    assert copied_runs(f"'{PLAN_TITLE}'", source, [PLAN_TITLE]) == []
    # Korean between English words breaks a run.
    assert (
        copied_runs("we propose 새로운 plansearch a novel search algorithm which", PLAN_ABSTRACT)
        == []
    )


def test_a_flagged_summary_gives_a_report_only_its_faithful_sentences():
    summary = "이 논문은 새 편집 시스템을 제안한다. 사용자는 93.7%의 경우 이를 선호했다. 1,000건을 평가했다."
    assert faithful_sentences(summary, ABSTRACT) == (
        "이 논문은 새 편집 시스템을 제안한다. 1,000건을 평가했다.",
        ["93.7"],
    )
    assert faithful_sentences(GOOD, ABSTRACT) == (GOOD, [])
    assert split_sentences("성능이 72.5% 향상되었다. 끝") == ["성능이 72.5% 향상되었다.", "끝"]


def test_an_empty_or_tiny_answer_is_rejected():
    assert gate("").reason == "empty answer"
    assert "too short" in gate("좋은 논문이다.").reason


def test_numbers_not_in_the_abstract_are_flagged_but_not_rejected():
    result = gate(GOOD.replace("72.5%", "93.7%"))
    assert result.ok and not result.clean
    assert result.flag_texts == ["numbers not in the source: 93.7"]


def test_numbers_are_compared_by_value_and_found_inside_names():
    # "1000" is the abstract's "1,000"; "2.5" stands inside "Qwen2.5-VL"; small counts are free.
    assert invented_numbers("1000건에서 Qwen2.5 모델이 3초 안에 2가지 답을 냈다", ABSTRACT) == []
    assert invented_numbers("정확도는 85.0%와 12배", ABSTRACT) == ["85.0", "12"]


def test_a_letter_the_abstract_itself_uses_is_not_foreign():
    abstract = "We thank Nguyễn for the Đà Nẵng dataset."
    text = "이 연구는 'Đà Nẵng' 데이터셋을 이용해 새로운 분류 방법을 제안하고 검증한다."
    assert check_summary(text, title="T", abstract=abstract, min_hangul_ratio=0.5).ok


def test_glossary_terms_written_in_english_are_flagged():
    glossary = {"multimodal large language model": "멀티모달 대형 언어 모델 (MLLM)"}
    plain = "이 논문은 multimodal large language model 기반의 이미지 편집 시스템을 제안하고 사용자 평가로 검증한다."
    assert gate(plain, glossary=glossary).flag_texts == [
        "glossary: write 'multimodal large language model' as '멀티모달 대형 언어 모델 (MLLM)'"
    ]
    assert gate(GOOD, glossary=glossary).clean


def test_sentences_are_counted_without_decimal_points():
    assert count_sentences(GOOD) == 3
    assert count_sentences("성능이 72.5% 향상되었다. 끝") == 2


REPORT = """#### 주요 주제 및 경향

- 'MagicQuill' 논문은 멀티모달 모델로 이미지를 편집하는 방법을 제안한다.

#### 주요 이벤트 및 정보

- 사용자는 72.5%의 경우 이 시스템을 선호했다.

#### 영향 분석 및 미래 발전 가능성

- 이미지 편집 도구가 더 쉬워질 것이다.

#### 결론

오늘의 연구는 편집 도구의 발전을 보여 준다."""


def report_gate(text: str, names=("MagicQuill",)):
    return check_report(
        text,
        titles=[TITLE],
        abstracts=[ABSTRACT],
        paper_count=1,
        paper_names=list(names),
        min_hangul_ratio=0.5,
    )


def test_a_report_needs_the_seed_sections_and_should_name_its_papers():
    assert report_gate(REPORT).clean
    missing = report_gate(REPORT.replace("#### 결론", "#### 맺음말"))
    assert missing.reason == "missing sections: 결론"
    unnamed = report_gate(REPORT, names=["LLaMA-Mesh"])
    assert unnamed.ok and unnamed.flag_texts == ["names none of its papers"]


def test_a_report_number_must_be_in_its_papers_abstracts_not_only_in_their_summaries():
    # The summary behind the report said 93.7%; the abstract never did.
    text = REPORT.replace("72.5%", "93.7%")
    assert report_gate(text).flag_texts == ["numbers not in the source: 93.7"]
    # The number of papers the prompt gave may be said.
    counted = REPORT.replace("오늘의 연구는", "오늘의 논문 12편은")
    assert check_report(
        counted,
        titles=[TITLE],
        abstracts=[ABSTRACT],
        paper_count=12,
        paper_names=["MagicQuill"],
        min_hangul_ratio=0.5,
    ).clean


def test_a_report_that_quotes_abstract_sentences_fails():
    quoted = REPORT.replace(
        "- 이미지 편집 도구가 더 쉬워질 것이다.",
        '- 저자들은 "We present MagicQuill, an image editing system built on a multimodal large '
        'language model (MLLM)"이라고 쓴다.',
    )
    result = report_gate(quoted)
    assert not result.ok and "copies the source word for word" in result.reason
