"""How fast the TUI paints and reacts on a big store: 60 days × 300 papers.

Builds the store synthetically from the recorded Hugging Face fixture (each day gets 300
papers made from its 37 real records, with fresh arXiv ids, upvotes, categories and Korean
summaries), then drives the real app headless and prints:

- first full paint: from launching a fresh `python` process (imports included) to the
  moment the newest day's digest is painted (best and worst of 3 launches);
- day switch, category switch and search: from the key press to the screen showing it
  (each ends when the screen has refreshed after the change);
- peak resident memory of the app's process after all of it.

Targets (issue 5): paint ≤ 1.0 s, switches and search ≤ 100 ms, memory ≤ 300 MB.
Run: `python bench/bench_tui.py [--days 60] [--papers 300]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
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

from core.config import Config, load_config  # noqa: E402
from core.prompts import SUMMARY_PROMPT_VERSION, abstract_hash  # noqa: E402
from core.sources.hf_daily import parse as parse_hf  # noqa: E402
from core.store import Store  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "hf_daily_papers_date_2026-05-08_llm-paper-radar.json"
LAST_DAY = date(2026, 5, 8)
KOREAN_SUMMARY = (
    "이 논문은 {topic} 문제를 다룬다. 저자들은 새로운 방법을 제안하고 여러 벤치마크에서 "
    "기존 방법보다 높은 성능을 보고한다. 코드와 데이터를 공개한다."
)


def build_store(path: Path, config: Config, *, days: int, papers_per_day: int) -> None:
    """Fill a store with `days` days of `papers_per_day` papers each, classified and summarized."""
    templates = parse_hf(
        FIXTURE.read_bytes(), day=LAST_DAY, label="fixture", source="hf-daily"
    ).listed
    rng = random.Random(5)
    categories = [category.name for category in config.taxonomy.categories]
    model = config.llm.model
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
                    hf_upvotes=rng.randint(0, 300) if number < 40 else None,
                    links={"abs": f"https://arxiv.org/abs/{arxiv_id}"},
                )
                batch.append(replace(template, paper=paper, day=day))
            store.merge_listed(batch, "hf-daily")
            for listed in batch:
                paper = listed.paper
                store.set_classification(
                    paper.id,
                    category=rng.choice(categories),
                    confidence=round(rng.uniform(0.4, 1.0), 2),
                    method="rules",
                    taxonomy_version=config.taxonomy.version,
                )
                if rng.random() < 0.5:
                    store.save_summary(
                        paper.id,
                        model=model,
                        prompt_version=SUMMARY_PROMPT_VERSION,
                        abstract_hash=abstract_hash(paper.title, paper.abstract),
                        status="ok" if rng.random() < 0.9 else "failed",
                        text=KOREAN_SUMMARY.format(topic=paper.title[:30]),
                        reason="Hanja in the output",
                    )
        # Korean words are searched through their morphemes: analysed as the search screen
        # of a store in daily use would find them (a day's new summaries at most).
        store.update_korean_index()


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def drive(config_path: str) -> dict[str, object]:
    """Run the app headless and time paint, day switch, category switch and search.

    Runs in a fresh process (see `main`); returns the figures and that process's memory.
    """
    from textual import events as events_module

    from core.services import open_services
    from tui.app import DailyAIApp
    from tui.messages import DayShown, GroupShown, SearchShown

    events: list[tuple[float, object]] = []

    def hook(message: object) -> None:
        if isinstance(message, DayShown | GroupShown | SearchShown):
            events.append((time.perf_counter(), message))

    async def until(kind: type, after: int) -> float:
        while True:
            for moment, message in events[after:]:
                if isinstance(message, kind):
                    return moment
            await asyncio.sleep(0.0005)

    services = open_services(config_path)
    app = DailyAIApp(services)
    figures: dict[str, list[float]] = {"day": [], "category": [], "search": []}

    async def press(key: str, kind: type) -> float:
        """Send one key as the terminal would; seconds until the screen shows the result.

        The key goes straight to the app (not through Pilot, whose waits for idleness would
        be counted too), and the time ends when the app says it painted the change.
        """
        mark = len(events)
        pressed = time.perf_counter()
        app.post_message(events_module.Key(key, key if len(key) == 1 else None))
        shown = await until(kind, mark) - pressed
        await app.workers.wait_for_complete()  # the neighbours being read ahead
        await asyncio.sleep(0.05)
        return shown

    async with app.run_test(size=(160, 48), message_hook=hook):
        await until(DayShown, 0)
        painted = time.time()
        await app.workers.wait_for_complete()
        await asyncio.sleep(1.5)  # settled, as when someone starts reading the day
        for key in ["left_square_bracket"] * 10 + ["right_square_bracket"] * 5:
            figures["day"].append(await press(key, DayShown))
        app.screen.query_one("#categories").focus()
        await asyncio.sleep(0.1)  # the focus moving is not part of a switch
        for key in ["down"] * 6 + ["up"] * 4:
            figures["category"].append(await press(key, GroupShown))
        app.post_message(events_module.Key("slash", "/"))
        await asyncio.sleep(0.2)
        for word in ("agent", "reasoning", "video diffusion", "benchmark", "강화학습"):
            mark = len(events)
            typed = time.perf_counter()
            app.screen.query_one("#search-input").value = word
            figures["search"].append(await until(SearchShown, mark) - typed)
    services.close()
    return {"painted_at": painted, "figures": figures, "rss_mb": peak_rss_mb()}


def run_app_process(config_path: Path, env: dict[str, str]) -> tuple[float, dict[str, object]]:
    """Launch a fresh Python process running the app; (seconds to first paint, its figures)."""
    code = (
        "import asyncio, json, sys, gc, os\nif os.environ.get('NOGC'): gc.disable()\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from bench.bench_tui import drive\n"
        f"print(json.dumps(asyncio.run(drive({str(config_path)!r}))))\n"
    )
    launched = time.time()
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    return result["painted_at"] - launched, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--papers", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        config_path = home / "config.toml"
        # No Ollama: the header's check fails at once instead of measuring a model.
        config_path.write_text('[ollama]\nhost = "http://127.0.0.1:9"\n', encoding="utf-8")
        env = {**os.environ, "DAILYAI_HOME": str(home)}
        os.environ["DAILYAI_HOME"] = str(home)
        config = load_config(config_path)
        began = time.perf_counter()
        build_store(config.dirs.database, config, days=args.days, papers_per_day=args.papers)
        size_mb = config.dirs.database.stat().st_size / 1e6
        print(
            f"store: {args.days} days × {args.papers} papers "
            f"({args.days * args.papers} listings, {size_mb:.0f} MB) built in "
            f"{time.perf_counter() - began:.1f} s"
        )
        paints = []
        for _ in range(3):
            paint, result = run_app_process(config_path, env)
            paints.append(paint)
        figures = result["figures"]
        memory = result["rss_mb"]

    def row(name: str, values: list[float], target: float) -> None:
        worst = max(values)
        verdict = "ok" if worst <= target else "OVER"
        print(
            f"{name:<34} median {statistics.median(values) * 1000:7.1f} ms   "
            f"worst {worst * 1000:7.1f} ms   target ≤ {target * 1000:4.0f} ms   {verdict}"
        )

    row("first full paint (from launch, 3×)", paints, 1.0)
    row("day switch (15 presses)", figures["day"], 0.1)
    row("category switch (10 presses)", figures["category"], 0.1)
    row("search (5 queries)", figures["search"], 0.1)
    for name, values in figures.items():
        print(f"  {name:<9} each (ms): {' '.join(f'{value * 1000:.0f}' for value in values)}")
    record(
        "tui",
        {
            "first_paint": statistics.median(paints),
            "day_switch": max(figures["day"]),
            "category_switch": max(figures["category"]),
            "search": max(figures["search"]),
            "memory_mb": memory,
        },
    )
    verdict = "ok" if memory <= 300 else "OVER"
    print(f"{'resident memory (peak)':<34} {memory:7.0f} MB{'':28}target ≤  300 MB   {verdict}")


if __name__ == "__main__":
    main()
