"""Korean wording for what the run ledger and the model's gate say in English.

The store keeps statuses and reasons as the fetch, the summarizer and the gate wrote them —
in English, the language of the data (an error raised to the user, stored as a run's reason,
is in the interface language it was raised in; a Korean clause is kept as it is). Published
outputs (report, page, email, feeds, chat) are Korean, so they say those facts in Korean, and
the CLI and the TUI say them through `interface_text` in their own language: a status word
(`ok` → 정상), a known reason ("arXiv announces nothing on Saturdays" → "arXiv는 토요일에
새 논문을 발표하지 않습니다"), and the parts of a compound reason ("hf-daily: …; every
source failed: arxiv") each on its own. What no rule knows (a server's own message, an
exception's text) is kept as written, after its Korean lead, rather than guessed at.

Times shown to people are local: `local_time` writes a stored UTC instant in the
configured time zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.i18n import current_language

WEEKDAYS = {
    "Monday": "월요일",
    "Tuesday": "화요일",
    "Wednesday": "수요일",
    "Thursday": "목요일",
    "Friday": "금요일",
    "Saturday": "토요일",
    "Sunday": "일요일",
}
STATUSES = {
    "ok": "정상",
    "empty": "비어 있음",
    "unchanged": "변경 없음",
    "failed": "실패",
    "partial": "일부 실패",
    "skipped": "건너뜀",
    "pending": "대기 중",
    "stale": "오래됨",
    "interrupted": "중단됨",
    "running": "진행 중",
}
SCRIPTS = {
    "Han characters (Hanja)": "한자",
    "Japanese kana": "일본어 가나",
    "Cyrillic letters": "키릴 문자",
    "Vietnamese letters": "베트남어 문자",
}


def _weekday(name: str) -> str:
    return WEEKDAYS.get(name, name)


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _rule(pattern: str, say: Callable[[re.Match[str]], str] | str) -> Rule:
    compiled = re.compile(rf"^{pattern}$", re.IGNORECASE | re.DOTALL)
    return compiled, say if callable(say) else (lambda match: match.expand(say))


RULES: list[Rule] = [
    # Why a day is empty (core.digest, core.ingest, the source kinds).
    _rule(
        r"nothing fetched for this day yet — run `dailyai fetch`",
        "이 날짜는 아직 수집하지 않았습니다 — `dailyai fetch`를 실행하세요",
    ),
    _rule(
        r"every paper listed this day was seen before or is only a new version",
        "이 날 목록의 논문은 모두 이미 소개되었거나 새 버전일 뿐입니다",
    ),
    _rule(r"no source listed any paper for this day", "어느 출처에도 이 날의 논문이 없습니다"),
    _rule(r"every source failed: (.+)", r"모든 출처가 실패했습니다: \1"),
    _rule(r"failed: (.+)", r"실패한 출처: \1"),
    _rule(
        r"arXiv announces nothing on (\w+)s",
        lambda m: f"arXiv는 {_weekday(m[1])}에 새 논문을 발표하지 않습니다",
    ),
    _rule(
        r"arXiv holiday \((.+), (\d{4}-\d{2}-\d{2})\): no announcement that evening",
        r"arXiv 휴일(\1, \2): 그날 저녁에는 발표가 없습니다",
    ),
    _rule(
        r"arXiv's feed for this day is not out yet.*",
        "arXiv의 이 날 피드가 아직 나오지 않았습니다 (미국 동부 자정, 겨울에는 한국 시각 "
        "14:00에 나옵니다)",
    ),
    _rule(
        r"arXiv's feed was empty on a weekday with no known holiday — arXiv may be late",
        "휴일이 아닌 평일인데 arXiv 피드가 비어 있습니다 — arXiv가 늦는 것일 수 있습니다",
    ),
    _rule(
        r"Hugging Face(?: Daily Papers)? takes no submissions on (\w+)",
        lambda m: (
            "Hugging Face Daily Papers는 "
            + ("주말" if m[1].lower() == "weekends" else _weekday(m[1].rstrip("s")))
            + "에 논문을 받지 않습니다"
        ),
    ),
    _rule(
        r"no papers on Hugging Face Daily Papers for this day yet.*",
        "Hugging Face Daily Papers에 이 날의 논문이 아직 없습니다 (미국 낮 동안 채워집니다)",
    ),
    _rule(
        r"Hugging Face Daily Papers listed nothing for this day",
        "Hugging Face Daily Papers에 이 날의 논문이 없습니다",
    ),
    _rule(
        r"the feed says it is not updated on (\w+)s",
        lambda m: f"피드가 {_weekday(m[1])}에는 갱신되지 않는다고 밝힙니다",
    ),
    _rule(r"the feed has no entries for this day", "피드에 이 날의 항목이 없습니다"),
    # Why a day of a week is not complete (core.weekly), and why a delivery sent nothing.
    _rule(
        r"weekend — arXiv announces nothing on Saturdays and Sundays",
        "주말 — arXiv는 토·일요일에 새 논문을 발표하지 않습니다",
    ),
    _rule(r"not fetched \((.+)\)", r"수집하지 않은 날입니다 (\1)"),
    _rule(r"not come yet", "아직 오지 않은 날입니다"),
    _rule(r"no papers fetched", "수집된 논문이 없습니다"),
    _rule(r"nothing to publish: (.+)", lambda m: f"발행할 논문이 없습니다: {_clause(m[1])}"),
    _rule(r"nothing to publish \((.+)\)", lambda m: f"발행할 논문이 없습니다 ({_clause(m[1])})"),
    _rule(
        r"no current daily report in: (.+)",
        lambda m: (
            "분야별 일일 보고서가 없는 분야: "
            + re.sub(r"\((pending|stale|failed)(?=[:)])", lambda s: f"({STATUSES[s[1]]}", m[1])
        ),
    ),
    _rule(r"(\d+) papers without a category \((.+)\)", r"분야가 정해지지 않은 논문 \1편 (\2)"),
    _rule(
        r"no (email|chat message) sent because (\S+) is false",
        lambda m: (
            f"{m[2]} = false라서 {'메일을' if m[1] == 'email' else '채팅 메시지를'} "
            "보내지 않았습니다"
        ),
    ),
    _rule(r"being sent by (.+) right now", r"\1이(가) 지금 보내고 있습니다"),
    _rule(r"refused: (.+)", r"거부됨: \1"),
    _rule(
        r"(.+) is writing the weekly reports of (\S+)", r"\1이(가) \2의 주간 보고서를 쓰고 있습니다"
    ),
    # What a fetch notes beside a source (core.ingest).
    _rule(r"no change since the last fetch", "지난 수집 이후 바뀐 것이 없습니다"),
    _rule(r"(\d+) duplicate entries merged", r"중복 항목 \1개를 합쳤습니다"),
    _rule(r"(\d+) ids not found by the arXiv API", r"arXiv API에서 찾지 못한 id \1개"),
    _rule(
        r"the feed is arXiv's announcement of (\S+), not (\S+): arXiv RSS serves only its latest "
        r"announcement",
        r"이 피드는 \2이 아니라 \1의 arXiv 발표입니다: arXiv RSS는 가장 최근 발표만 제공합니다",
    ),
    _rule(r"skipped (\d+) entries without an arXiv id", r"arXiv id가 없는 항목 \1개를 건너뜀"),
    _rule(
        r"skipped (\d+) items without a usable paper id or title",
        r"쓸 수 있는 논문 id나 제목이 없는 항목 \1개를 건너뜀",
    ),
    _rule(
        r"skipped (\d+) entries without a link, id or title",
        r"링크, id, 제목이 없는 항목 \1개를 건너뜀",
    ),
    _rule(r"(\d+) entries had no readable date", r"항목 \1개에 읽을 수 있는 날짜가 없음"),
    _rule(r"listed on (\d{4}-\d{2}-\d{2})", r"\1에 넣음"),
    # A source's failure (core.fetch): the technical part stays as the server said it.
    _rule(r"(.*)HTTP (\d{3}) after (\d+) retries", r"\1HTTP \2 (\3번 다시 시도했지만 실패)"),
    _rule(r"(.*)HTTP (\d{3})", r"\1HTTP \2 응답"),
    # The Korean gate and the model (core.quality, core.summarize).
    _rule(
        r"(.+) in the answer: (.+)",
        lambda m: f"답에 {SCRIPTS.get(m[1], m[1])}가 섞임: {m[2]}",
    ),
    _rule(
        r"(.+) in the output after (\d+) attempts",
        lambda m: f"{m[2]}번 시도한 답 모두에 {_script(m[1])}가 섞임",
    ),
    _rule(
        r"not Korean enough: (\d+%) Hangul among its letters \(at least (\d+%) needed\)",
        r"한국어가 부족함: 글자 중 한글 \1 (\2 이상 필요)",
    ),
    _rule(r"copies the source word for word: (.+)", r"원문을 그대로 옮김: \1"),
    _rule(r"too short: (\d+) Hangul letters", r"너무 짧음: 한글 \1자"),
    _rule(r"empty answer", "빈 답"),
    _rule(r"missing sections: (.+)", r"빠진 절: \1"),
    _rule(r"numbers not in the source: (.+)", r"원문에 없는 숫자: \1"),
    _rule(r"(\d+) sentences \(asked for 2–4\)", r"\1문장 (2–4문장 요청)"),
    _rule(r"glossary: write '(.+)' as '(.+)'", r"용어집: '\1'은(는) '\2'(으)로 써야 함"),
    _rule(r"names none of its papers", "논문을 하나도 언급하지 않음"),
    _rule(
        r"built without the sentences of (\d+) summar(?:y|ies) that hold numbers not in their "
        r"abstracts \((.+?)(?: and (\d+) more)?\)",
        lambda m: (
            f"원문에 없는 숫자가 든 요약 {m[1]}개의 그 문장은 빼고 씀 ({m[2]}"
            + (f" 외 {m[3]}개" if m[3] else "")
            + ")"
        ),
    ),
    _rule(
        r"(\d+) papers named by title only to fit num_ctx", r"num_ctx에 맞추려고 \1편은 제목만 넣음"
    ),
    _rule(r"(\d+) papers left out to fit num_ctx", r"num_ctx에 맞추려고 \1편은 뺌"),
    _rule(
        r"built from shortened daily reports to fit num_ctx",
        "num_ctx에 맞추려고 일일 보고서를 줄여서 씀",
    ),
    _rule(r"(\d+) earlier days left out to fit num_ctx", r"num_ctx에 맞추려고 앞선 \1일은 뺌"),
    _rule(r"the answer hit num_predict and was cut off", "답이 num_predict에 닿아 잘림"),
    _rule(r"no abstract to summarize \(the source gave none\)", "요약할 초록이 없음 (출처에 없음)"),
    _rule(
        r"no summary of this category passed the gate, so there is nothing to build from",
        "이 분야의 요약이 하나도 검사를 통과하지 못해 보고서를 만들 재료가 없음",
    ),
    _rule(r"model '(.+)' timed out after (\d+) s", r"모델 '\1'이(가) \2초 안에 답하지 않음"),
    _rule(r"model '(.+)' is not pulled — run `(.+)`", r"모델 '\1'이(가) 없음 — `\2`를 실행하세요"),
    _rule(r"cannot reach Ollama at (\S+) — start it with `(.+)`", r"Ollama(\1)에 연결할 수 없음"),
]


def _script(name: str) -> str:
    name = name.strip()
    for english, korean in SCRIPTS.items():
        if name.lower() in english.lower():
            return korean
    return {"hanja": "한자"}.get(name.lower(), name)


def status_word(status: str) -> str:
    """A ledger status in Korean ("failed" → "실패"); an unknown one as it is."""
    return STATUSES.get(status, status)


def korean(text: str) -> str:
    """A reason from the ledger or the gate in Korean, clause by clause ("; "), each
    `name: reason` keeping its name; a clause no rule knows stays as written."""
    if not text:
        return text
    return "; ".join(_clause(part.strip()) for part in text.split("; ") if part.strip())


def _clause(clause: str) -> str:
    said = _say(clause)
    if said is not None:
        return said
    # "hf-daily: Hugging Face takes no submissions on weekends": the source, then its reason.
    name, colon, rest = clause.partition(": ")
    if colon and " " not in name.strip() and rest:
        inner = _say(rest)
        if inner is not None:
            return f"{name}: {inner}"
    return clause


def _say(clause: str) -> str | None:
    for pattern, say in RULES:
        match = pattern.match(clause)
        if match:
            return say(match)
    return None


def interface_text(text: str) -> str:
    """A stored reason as the CLI and the TUI show it: in Korean (as `korean` says it) when
    the interface is Korean, else as stored."""
    return korean(text) if current_language() == "ko" else text


def local_time(stamp: str, zone: str) -> str:
    """A stored instant (ISO 8601, UTC when it names no zone) as `2026-05-08 09:30 KST`-like
    local time in `zone` (the zone's abbreviation, else its name); "" if unreadable."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(zone))
    abbreviation = local.tzname() or zone
    if abbreviation.startswith(("+", "-")):
        abbreviation = zone
    return f"{local:%Y-%m-%d %H:%M} {abbreviation}"
