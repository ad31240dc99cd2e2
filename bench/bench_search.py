"""Search on a big store with the Korean index: 60 days × 300 papers, each with a summary.

Builds the store from the recorded Hugging Face fixture (each day gets 300 papers made from
its 37 real records, with fresh arXiv ids) and gives every paper a Korean summary, written
from a vocabulary of the field's compound nouns with their particles, so the index holds
the morphemes real summaries have. Then prints:

- the analyser: how long Kiwi's child process takes to start (model load) and its peak
  memory, the analysis of the whole backlog (every summary), and of one day's digest
  (30 summaries: what the first Korean search after a daily run waits for);
- Korean matches: for Korean words, every hit against the summaries that have the word
  (recall and precision);
- search: the store's search (limit 100, as the TUI asks, snippets included) for English
  and Korean queries, each run 7 times, median and worst;
- the upgrade: opening a store of the same size written by the version before the Korean
  index (migration m011 rebuilds the index; the morphemes are analysed later, lazily).

Target (issue 12): search ≤ 100 ms. Run: `python bench/bench_search.py [--days 60] [--papers 300]`.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from figures import record  # noqa: E402 - bench/ is not a package

import core.store.migrations  # noqa: E402
import core.store.papers  # noqa: E402
import core.store.summaries  # noqa: E402
from core.korean import analyse  # noqa: E402
from core.prompts import SUMMARY_PROMPT_VERSION  # noqa: E402
from core.sources.hf_daily import parse as parse_hf  # noqa: E402
from core.store import Store  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "hf_daily_papers_date_2026-05-08_llm-paper-radar.json"
LAST_DAY = date(2026, 5, 8)
KOREAN_WORDS = {
    # query: the word a summary must have (spaces left out) to be a right answer
    "학습": "학습",
    "강화학습": "강화학습",
    "강화학습을": "강화학습",
    "언어모델의": "언어모델",
    "모델": "모델",
    "확산모델": "확산모델",
    "최적화": "최적화",
    "추론": "추론",
    "에이전트": "에이전트",
    "그래프": "그래프",
    "생성": "생성",
    "데이터": "데이터",
}
QUERIES = [
    "agent",
    "reasoning",
    "video diffusion",
    "benchmark",
    "학습",
    "강화학습",
    "강화학습을",
    "언어모델의",
    "모델",
    "확산 모델",
    "에이전트 추론",
    "최적화",
]

TOPICS = [
    "대규모 언어모델", "강화학습", "확산모델", "멀티모달 에이전트", "검색증강생성",
    "비전 트랜스포머", "음성 인식", "로봇 제어", "지식그래프", "코드 생성", "수학 추론",
    "의료 영상 분할", "자율주행", "추천 시스템", "연합학습", "지식 증류", "프롬프트 최적화",
    "환각 완화", "장문 이해", "비디오 생성", "3차원 재구성", "시계열 예측", "그래프 신경망",
    "분자 생성", "정책 최적화", "보상 모델", "도구 사용", "instruction 튜닝", "LoRA 미세조정",
]  # fmt: skip
METHODS = [
    "새로운 학습 방법", "효율적인 추론 기법", "자기지도 사전학습", "데이터 증강 전략",
    "주의집중 구조", "계층적 계획 알고리즘", "대조 학습 목표", "경량화된 모델 구조",
    "평가 벤치마크", "합성 데이터 생성 파이프라인", "다단계 검증 절차",
]  # fmt: skip
METRICS = ["정확도", "성공률", "추론 속도", "메모리 사용량", "일반화 성능", "안정성"]


def josa(word: str, with_final: str, without_final: str) -> str:
    """`word` with the particle form its last syllable takes (을/를, 이/가, 과/와, 은/는)."""
    last = word[-1]
    final = "가" <= last <= "힣" and (ord(last) - ord("가")) % 28 != 0
    return word + (with_final if final else without_final)


def korean_summary(rng: random.Random) -> str:
    """A summary as the model writes them: three sentences, compounds with particles."""
    first, second = rng.sample(TOPICS, 2)
    method = rng.choice(METHODS)
    metric = rng.choice(METRICS)
    sentences = [
        f"이 논문은 {josa(first, '을', '를')} 위한 {josa(method, '을', '를')} 제안한다.",
        f"저자들은 {josa(first, '과', '와')} {second}의 결합으로 기존 방법의 한계를 극복한다.",
        f"실험 결과 제안 방법은 여러 벤치마크에서 {josa(metric, '이', '가')} "
        f"{rng.randint(2, 40)}% 향상되었다.",
        f"{josa(second, '은', '는')} 이 연구에서 핵심적인 역할을 하며, 코드와 데이터를 공개한다.",
    ]
    return " ".join(rng.sample(sentences, 3))


def build_store(path: Path, *, days: int, papers_per_day: int) -> dict[str, str]:
    """Fill a store with `days` days of `papers_per_day` papers, each with a Korean summary;
    returns the summaries by paper id."""
    templates = parse_hf(
        FIXTURE.read_bytes(), day=LAST_DAY, label="fixture", source="hf-daily"
    ).listed
    rng = random.Random(12)
    summaries: dict[str, str] = {}
    with Store(path) as store:
        for day_index in range(days):
            day = LAST_DAY - timedelta(days=days - 1 - day_index)
            batch = []
            for number in range(papers_per_day):
                template = templates[number % len(templates)]
                arxiv_id = f"{day:%y%m}.{day_index:02d}{number:03d}"
                paper = replace(
                    template.paper,
                    id=arxiv_id,
                    arxiv_id=arxiv_id,
                    title=f"{template.paper.title} ({day_index}-{number})",
                    links={"abs": f"https://arxiv.org/abs/{arxiv_id}"},
                )
                batch.append(replace(template, paper=paper, day=day))
            store.merge_listed(batch, "hf-daily")
            for listed in batch:
                summaries[listed.paper.id] = korean_summary(rng)
                store.save_summary(
                    listed.paper.id,
                    model="gemma3:4b",
                    prompt_version=SUMMARY_PROMPT_VERSION,
                    abstract_hash="bench",
                    status="ok",
                    text=summaries[listed.paper.id],
                )
    return summaries


def build_store_before_m011(path: Path, *, days: int, papers_per_day: int) -> None:
    """The same store as the version before the Korean index wrote it: no migration m011,
    and storing a paper or a summary wrote the three-column index of migration m001."""
    migrations = list(core.store.migrations.MIGRATIONS)
    indexing = core.store.papers.index_new_papers, core.store.summaries.index_summary

    def old_index_new_papers(db, after_rowid, korean):
        db.execute(
            "INSERT INTO papers_fts (rowid, title, abstract, summary)"
            " SELECT rowid, title, abstract, '' FROM papers WHERE rowid > ?",
            (after_rowid,),
        )

    def old_index_summary(db, paper_id, text):
        db.execute(
            "UPDATE papers_fts SET summary = ?"
            " WHERE rowid = (SELECT rowid FROM papers WHERE id = ?)",
            (text, paper_id),
        )

    core.store.migrations.MIGRATIONS[:] = [m for m in migrations if m[0] < "m011"]
    core.store.papers.index_new_papers = old_index_new_papers
    core.store.summaries.index_summary = old_index_summary
    try:
        build_store(path, days=days, papers_per_day=papers_per_day)
    finally:
        core.store.migrations.MIGRATIONS[:] = migrations
        core.store.papers.index_new_papers, core.store.summaries.index_summary = indexing


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--papers", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    total = args.days * args.papers
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "search.sqlite3"
        built, summaries = timed(
            lambda: build_store(path, days=args.days, papers_per_day=args.papers)
        )
        print(
            f"store: {args.days} days × {args.papers} papers, each summarized, built in {built:.1f} s"
        )

        start_up, _ = timed(lambda: analyse(["모델"]))
        memory = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"analyser: child process start with Kiwi's model {start_up:.2f} s, peak memory {memory:.0f} MB"
        )
        rng = random.Random(30)
        day_texts = [korean_summary(rng) for _ in range(30)]
        day_analysis, _ = timed(lambda: analyse(day_texts))
        print(f"analysis of one day's 30 summaries (one child):   {day_analysis:6.2f} s")

        with Store(path) as store:
            size_before = path.stat().st_size / 1e6
            waiting = store.korean_backlog()
            backlog, analysed = timed(store.update_korean_index)
            rate = analysed / backlog
            print(
                f"analysis of the whole backlog ({waiting} papers):  {backlog:6.2f} s"
                f"  ({rate:.0f} summaries/s; store {size_before:.0f} → "
                f"{path.stat().st_size / 1e6:.0f} MB)"
            )
            times: dict[str, list[float]] = {query: [] for query in QUERIES}
            counts = {}
            for _ in range(args.repeat):
                for query in QUERIES:
                    elapsed, hits = timed(lambda query=query: store.search(query, limit=100))
                    times[query].append(elapsed)
                    counts[query] = len(hits)
            print("Korean words, every hit against the summaries that have the word:")
            recalls, precisions = [], []
            for query, word in KOREAN_WORDS.items():
                wanted = {i for i, text in summaries.items() if word in text.replace(" ", "")}
                got = {hit.paper.id for hit in store.search(query, limit=total)}
                right = len(wanted & got)
                recalls.append(right / len(wanted) if wanted else 1.0)
                precisions.append(right / len(got) if got else 1.0)
                print(
                    f"  found {len(got):>5} of {len(wanted):>5} with the word:"
                    f" recall {recalls[-1]:6.1%}, precision {precisions[-1]:6.1%}   {query}"
                )
        print(f"search (limit 100, snippets included), {args.repeat} runs each:")
        for query, values in times.items():
            print(
                f"  {counts[query]:>4} hits   median {statistics.median(values) * 1000:6.1f} ms"
                f"   worst {max(values) * 1000:6.1f} ms   {query}"
            )
        worst = max(max(values) for values in times.values())
        verdict = "ok" if worst <= 0.1 else "OVER"
        print(f"  worst of all: {worst * 1000:.1f} ms   target ≤ 100 ms   {verdict}")

        old = Path(tmp) / "before-m011.sqlite3"
        build_store_before_m011(old, days=args.days, papers_per_day=args.papers)
        migrated, store = timed(lambda: Store(old))
        with store:
            assert "m011_korean_search" in store.applied_migrations, store.applied_migrations
            queued = store.korean_backlog()
        print(
            f"upgrade: opening a {total}-paper store of the version before (migration m011) "
            f"{migrated:.2f} s; {queued} papers queued for their morphemes, about "
            f"{queued / rate + start_up:.0f} s of analysis at the first Korean search"
        )
        figures = {
            "search": worst,
            "korean_recall": min(recalls),
            "korean_precision": min(precisions),
            "analyser_start_s": start_up,
            "analyser_memory_mb": memory,
            "day_analysis_s": day_analysis,
            "backlog_analysis_s": backlog,
            "migration_s": migrated,
        }
    record("search", figures)


if __name__ == "__main__":
    main()
