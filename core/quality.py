"""The Korean quality gate: is a model's answer Korean text we can show as a summary?

Small local models drift into other scripts when asked for Korean (Hanja such as "重大한",
Vietnamese letters such as "dân족", Japanese kana, Cyrillic), answer in English, or invent
numbers. The original of our seed report has such letters in 7 of its 116 reports. Every
summary and report passes this gate before it is stored; a hard problem means the answer
is retried with a stricter prompt and, in the end, marked failed — never replaced by the
English abstract. Soft problems (numbers that are not in the source, a glossary term
written another way) are kept with the text as flags, so readers can see them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# Hard problems: the answer is not usable.
HANJA = "hanja"
KANA = "kana"
CYRILLIC = "cyrillic"
VIETNAMESE = "vietnamese"
LOW_HANGUL = "low_hangul"
TOO_SHORT = "too_short"
EMPTY = "empty"
MISSING_SECTIONS = "missing_sections"
# Soft problems: kept as flags with the text.
NUMBERS = "numbers"
GLOSSARY = "glossary"
SENTENCES = "sentences"
UNNAMED = "unnamed_papers"

REPORT_SECTIONS = (
    "주요 주제 및 경향",
    "주요 이벤트 및 정보",
    "영향 분석 및 미래 발전 가능성",
    "결론",
)

_HAN = re.compile(
    "[\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\U00020000-\U0003134f]"
)
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_CYRILLIC = re.compile("[\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f]")
# Letters only Vietnamese uses: ă, đ, ơ, ư and the stacked tone marks (ạ ả ấ … ỹ).
_VIETNAMESE = re.compile("[\u0102\u0103\u0110\u0111\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9]")
_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
# A word that mixes Hangul with Latin letters carrying diacritics (â, ê, ô, é …): "dân족".
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_LATIN_DIACRITIC = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]")
# English terms and paper titles may stay in the original: in (…), '…', "…", 「…」, `…`.
_QUOTED = re.compile(
    r"\([^()\n]*\)|（[^（）\n]*）|'[^'\n]+'|\"[^\"\n]+\"|‘[^’\n]+’|“[^”\n]+”"
    r"|「[^」\n]+」|『[^』\n]+』|`[^`\n]+`"
)
# A term is a name or a few words ("Reinforcement Learning from Human Feedback, RLHF"); a
# longer span in quotes or parentheses is a sentence and counts like any other text.
MAX_TERM_WORDS = 6
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][\w'’.+-]*")
# Copying: this many words in a row that the abstract also has, outside the paper titles.
COPIED_RUN_WORDS = 8
_RUN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f0-9][A-Za-z\u00c0-\u024f0-9'’+-]*")
_HANGUL_OR_BREAK = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\n]+")
# Numbers wherever they stand, also inside names ("Qwen2.5", "7B", "GPT-4o").
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_SENTENCE_END = re.compile(r"(?<!\d)[.!?。](?=\s|$)|다\.(?=\s|$)")


@dataclass
class Problem:
    """One thing wrong with an answer: a code (for the retry prompt) and what was seen."""

    code: str
    detail: str

    def __str__(self) -> str:
        return self.detail


@dataclass
class GateResult:
    """The gate's verdict on one answer."""

    problems: list[Problem] = field(default_factory=list)
    """Hard problems: the answer must not be stored as a summary."""
    flags: list[Problem] = field(default_factory=list)
    """Soft problems: stored with the text so readers can see them."""
    hangul_ratio: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def clean(self) -> bool:
        """No problem and no flag at all."""
        return not self.problems and not self.flags

    @property
    def reason(self) -> str:
        """The hard problems as one line, for the stored failure reason."""
        return "; ".join(str(problem) for problem in self.problems)

    @property
    def flag_texts(self) -> list[str]:
        return [str(flag) for flag in self.flags]

    def codes(self) -> set[str]:
        return {problem.code for problem in (*self.problems, *self.flags)}


def hangul_ratio(text: str, titles: Iterable[str] = ()) -> float:
    """The share of Hangul among the letters of `text`, not counting terms left in English.

    The prompt allows English terms in parentheses ("강화학습 (Reinforcement Learning)"),
    names in quotes ('Qwen2.5-7B') and the paper's own title, so those do not count against
    the answer. A longer span in quotes or parentheses is a sentence, not a term: it counts
    like any other text, so English sentences cannot hide in quotes.
    """
    known = [_words_of(title) for title in titles if title.strip()]
    outside = _QUOTED.sub(
        lambda match: " " if _is_term(match.group(0), known) else match.group(0), text
    )
    hangul = letters = 0
    for char in outside:
        if _HANGUL.match(char):
            hangul += 1
            letters += 1
        elif char.isalpha():
            letters += 1
    return hangul / letters if letters else 0.0


def _words_of(text: str) -> str:
    """`text` as lower-case words joined by single spaces (for comparing spans and titles)."""
    return " ".join(word.lower() for word in _RUN_WORD.findall(text))


def _is_term(span: str, titles: Sequence[str]) -> bool:
    """Whether a quoted or parenthesised span is a term or a title (not a sentence)."""
    inner = span[1:-1]
    if len(_LATIN_WORD.findall(inner)) <= MAX_TERM_WORDS:
        return True
    words = _words_of(inner.rstrip("…. "))
    return bool(words) and any(f" {words} " in f" {title} " for title in titles)


def copied_runs(text: str, source: str, titles: Iterable[str] = ()) -> list[str]:
    """Runs of COPIED_RUN_WORDS or more words that `text` shares with `source`, word for word.

    A run inside one of `titles` is a quoted title, not copying. Runs are searched within
    the stretches of Latin text between Hangul, so Korean sentences never join two terms.
    """
    size = COPIED_RUN_WORDS
    source_grams = _grams(_words_of(source).split(), size)
    title_grams: set[tuple[str, ...]] = set()
    for title in titles:
        title_grams |= _grams(_words_of(title).split(), size)
    found: list[str] = []
    for stretch in _HANGUL_OR_BREAK.split(text):
        words = _words_of(stretch).split()
        start = 0
        while start + size <= len(words):
            gram = tuple(words[start : start + size])
            if gram in source_grams and gram not in title_grams:
                end = start + size
                while end < len(words) and tuple(words[end - size + 1 : end + 1]) in source_grams:
                    end += 1
                found.append(" ".join(words[start:end]))
                start = end
            else:
                start += 1
    return found


def _grams(words: list[str], size: int) -> set[tuple[str, ...]]:
    return {tuple(words[index : index + size]) for index in range(len(words) - size + 1)}


def script_problems(text: str, source: str = "") -> list[Problem]:
    """Letters of scripts that must not appear in Korean text (unless quoted from the source)."""
    problems = []
    for code, pattern, name in (
        (HANJA, _HAN, "Han characters (Hanja)"),
        (KANA, _KANA, "Japanese kana"),
        (CYRILLIC, _CYRILLIC, "Cyrillic letters"),
        (VIETNAMESE, _VIETNAMESE, "Vietnamese letters"),
    ):
        found = [char for char in dict.fromkeys(pattern.findall(text)) if char not in source]
        if found:
            problems.append(Problem(code, f"{name} in the answer: {''.join(found[:8])}"))
    if not any(problem.code == VIETNAMESE for problem in problems):
        mixed = [
            word
            for word in _LETTER_RUN.findall(text)
            if _HANGUL.search(word)
            and any(char not in source for char in _LATIN_DIACRITIC.findall(word))
        ]
        if mixed:
            problems.append(
                Problem(VIETNAMESE, f"foreign letters glued to Hangul: {', '.join(mixed[:4])}")
            )
    return problems


def numbers_in(text: str) -> list[str]:
    """The numbers written in `text` (1,000 and 12.5 as one number each)."""
    return [match.group(0) for match in _NUMBER.finditer(text)]


def _number_value(number: str) -> float:
    return float(number.replace(",", ""))


def invented_numbers(text: str, source: str) -> list[str]:
    """Numbers in `text` that do not occur in `source`.

    Integers below 10 are not checked: "2가지 방법" may render "two methods", and such
    small counts are not the figures a reader would quote.
    """
    checked = [
        number
        for number in numbers_in(text)
        if not (_number_value(number) < 10 and "." not in number)
    ]
    if not checked:
        return []  # most answers quote no figure: the source need not be read
    known = {_number_value(number) for number in numbers_in(source)}
    invented = []
    for number in checked:
        if _number_value(number) not in known and number not in invented:
            invented.append(number)
    return invented


def glossary_flags(text: str, source: str, glossary: Mapping[str, str]) -> list[Problem]:
    """Glossary terms the source uses that the answer wrote another way.

    A glossary entry maps an English term to its required Korean form, e.g.
    "reinforcement learning" = "강화학습 (Reinforcement Learning)". An answer that writes the
    term in English without the Korean form is flagged.
    """
    flags = []
    lowered_text = text.lower()
    lowered_source = source.lower()
    for term, wanted in glossary.items():
        term_lower = term.lower()
        korean_head = wanted.split("(")[0].strip()
        if term_lower not in lowered_source or not korean_head:
            continue
        if term_lower in lowered_text and korean_head not in text:
            flags.append(Problem(GLOSSARY, f"glossary: write '{term}' as '{wanted}'"))
    return flags


def count_sentences(text: str) -> int:
    """Sentences in a Korean paragraph (decimal points are not sentence ends)."""
    stripped = text.strip()
    if not stripped:
        return 0
    ends = len(_SENTENCE_END.findall(stripped))
    if not re.search(r"[.!?。]$", stripped):
        ends += 1
    return ends


def _common_checks(
    text: str,
    source: str,
    *,
    titles: Sequence[str],
    min_hangul_ratio: float,
    min_hangul_chars: int,
) -> GateResult:
    result = GateResult()
    if not text.strip():
        result.problems.append(Problem(EMPTY, "empty answer"))
        return result
    normalized = unicodedata.normalize("NFC", text)
    result.problems.extend(script_problems(normalized, source))
    result.hangul_ratio = hangul_ratio(normalized, titles)
    if result.hangul_ratio < min_hangul_ratio:
        result.problems.append(
            Problem(
                LOW_HANGUL,
                f"not Korean enough: {result.hangul_ratio:.0%} Hangul among its letters "
                f"(at least {min_hangul_ratio:.0%} needed)",
            )
        )
    copied = copied_runs(normalized, source, titles)
    if copied:
        # Sentences copied from the abstract are English where Korean belongs: the same
        # fault as too little Hangul, so the retry asks for the same thing.
        words = copied[0].split()
        excerpt = " ".join(words[:12]) + (" …" if len(words) > 12 else "")
        result.problems.append(Problem(LOW_HANGUL, f"copies the source word for word: '{excerpt}'"))
    hangul_chars = len(_HANGUL.findall(normalized))
    if result.hangul_ratio >= min_hangul_ratio and hangul_chars < min_hangul_chars:
        result.problems.append(Problem(TOO_SHORT, f"too short: {hangul_chars} Hangul letters"))
    invented = invented_numbers(normalized, source)
    if invented:
        result.flags.append(
            Problem(NUMBERS, f"numbers not in the source: {', '.join(invented[:6])}")
        )
    return result


def check_summary(
    text: str,
    *,
    title: str,
    abstract: str,
    min_hangul_ratio: float,
    glossary: Mapping[str, str] | None = None,
) -> GateResult:
    """The gate for one paper's summary (2–4 Korean sentences from its abstract)."""
    source = f"{title}\n{abstract}"
    result = _common_checks(
        text, source, titles=[title], min_hangul_ratio=min_hangul_ratio, min_hangul_chars=20
    )
    if not result.problems:
        sentences = count_sentences(text)
        if sentences > 6:
            result.flags.append(Problem(SENTENCES, f"{sentences} sentences (asked for 2–4)"))
    result.flags.extend(glossary_flags(text, source, glossary or {}))
    return result


def check_report(
    text: str,
    *,
    titles: Sequence[str],
    abstracts: Sequence[str],
    paper_count: int,
    paper_names: Iterable[str],
    min_hangul_ratio: float,
    glossary: Mapping[str, str] | None = None,
) -> GateResult:
    """The gate for a category's synthesis report, built from the papers' summaries.

    The report's numbers are checked against the titles and abstracts of its papers (and
    `paper_count`, the number of papers its prompt gave), not against their summaries: a
    number a summary invented is invented in the report too. The report must have the
    seed's four sections and should name at least one of its papers.
    """
    source = "\n".join([str(paper_count), *titles, *abstracts])
    result = _common_checks(
        text, source, titles=titles, min_hangul_ratio=min_hangul_ratio, min_hangul_chars=60
    )
    missing = [section for section in REPORT_SECTIONS if section not in text]
    if missing:
        result.problems.append(Problem(MISSING_SECTIONS, f"missing sections: {', '.join(missing)}"))
    names = [name.lower() for name in paper_names if name]
    if names and not any(name in text.lower() for name in names):
        result.flags.append(Problem(UNNAMED, "names none of its papers"))
    result.flags.extend(glossary_flags(text, source, glossary or {}))
    return result


def faithful_sentences(summary: str, source: str) -> tuple[str, list[str]]:
    """A summary without its sentences that hold numbers not in `source`; (text, numbers).

    What a report is built from: a summary flagged for invented numbers still tells what
    the paper does, but its invented figures must not reach the report.
    """
    invented = invented_numbers(summary, source)
    if not invented:
        return summary, []
    kept = [
        sentence
        for sentence in split_sentences(summary)
        if not any(number in invented for number in numbers_in(sentence))
    ]
    return " ".join(kept), invented


def split_sentences(text: str) -> list[str]:
    """The sentences of a Korean paragraph (decimal points do not end one)."""
    sentences = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [sentence for sentence in sentences if sentence]


__all__ = [
    "REPORT_SECTIONS",
    "GateResult",
    "Problem",
    "check_report",
    "check_summary",
    "copied_runs",
    "count_sentences",
    "faithful_sentences",
    "hangul_ratio",
    "invented_numbers",
    "script_problems",
    "split_sentences",
]
