"""The Korean gate: what passes as a Korean summary and what is sent back for a retry."""

from __future__ import annotations

import pytest

from core.quality import (
    check_report,
    check_summary,
    count_sentences,
    hangul_ratio,
    invented_numbers,
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
