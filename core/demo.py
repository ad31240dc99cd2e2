"""The offline demo: real recorded sample days, run through the whole pipeline in a store
of their own.

The samples ship inside the package and are read through `file://` URLs, so the demo takes
exactly the path real sources take (fetch, parse, merge, ledger) without any network. When
Ollama answers, the newest sample day is classified and summarized for real; when it does
not, the demo says so plainly, classifies by rules and publishes everything else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from core.config import Config, SourceConfig
from core.ingest import SourceSpec
from core.models import SourceKind
from core.pipeline import PipelineResult, run_pipeline
from core.progress import StepProgress
from core.services import Services
from core.sources.arxiv_rss import ARXIV_RSS
from core.sources.hf_daily import HF_DAILY

# (source name, file in core/samples, kind, the day it lists)
SAMPLE_DAYS: list[tuple[str, str, SourceKind, date]] = [
    ("arxiv-rss", "arxiv_rss_cs_2024-11-28.xml", ARXIV_RSS, date(2024, 11, 28)),
    ("arxiv-rss", "arxiv_atom_cs.AI_2025-08-20.xml", ARXIV_RSS, date(2025, 8, 20)),
    ("hf-daily", "hf_daily_2026-05-08.json", HF_DAILY, date(2026, 5, 8)),
    ("hf-daily", "hf_daily_2026-07-31.json", HF_DAILY, date(2026, 7, 31)),
]


DEMO_DIGEST_SIZE = 10


def sample_path(name: str) -> Path:
    """The installed path of a sample file."""
    return Path(str(resources.files("core").joinpath("samples", name)))


def demo_config(config: Config) -> Config:
    """The user's config pointed at the demo's own directories and the sample sources."""
    dirs = config.dirs.demo()
    sources = [
        SourceConfig(name=f"sample-{day.isoformat()}", url=sample_path(file).as_uri(), kind=kind)
        for _, file, kind, day in SAMPLE_DAYS
    ]
    output = dataclasses.replace(config.output, dir=str(dirs.output))
    fetch = dataclasses.replace(config.fetch, enrich_with_arxiv_api=False)
    # A laptop model writes a summary every 10–30 s: keep the demo's digests short.
    digest = dataclasses.replace(config.digest, size=min(config.digest.size, DEMO_DIGEST_SIZE))
    email = dataclasses.replace(config.email, enabled=False)
    return dataclasses.replace(
        config, sources=sources, dirs=dirs, output=output, fetch=fetch, digest=digest, email=email
    )


@dataclass
class DemoResult:
    """What the demo did: whether the model was used, and each sample day's run."""

    ollama_ok: bool
    ollama_detail: str
    runs: list[PipelineResult]


async def run_demo(
    services: Services,
    *,
    on_progress: Callable[[StepProgress], None] | None = None,
    client: Any = None,
) -> DemoResult:
    """Every sample day through the pipeline (no email); the newest one summarized if Ollama answers."""
    from core.llm import check_ollama

    if client is None:
        ollama_ok, detail, _ = await check_ollama(services.config)
    else:
        ollama_ok, detail = True, "the given model client"
    runs = []
    newest = max(day for *_, day in SAMPLE_DAYS)
    for _, file, kind, day in SAMPLE_DAYS:
        spec = SourceSpec(f"sample-{day.isoformat()}", sample_path(file).as_uri(), kind)
        steps = ["fetch", "classify", "report", "feeds"]
        if ollama_ok and day == newest:
            steps.insert(2, "summarize")
        runs.append(
            await run_pipeline(
                services,
                day,
                steps=tuple(steps),
                specs=[spec],
                on_progress=on_progress,
                client=client,
                enrich=False,
            )
        )
    return DemoResult(ollama_ok, detail, runs)
