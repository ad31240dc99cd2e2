"""The offline demo: real recorded sample days, fetched into a store of their own.

The samples ship inside the package and are read through `file://` URLs, so the demo takes
exactly the path real sources take (fetch, parse, merge, ledger) without any network.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from importlib import resources
from pathlib import Path

from core.config import Config, SourceConfig
from core.ingest import ProgressCallback, SourceSpec, fetch_day
from core.models import FetchSummary, SourceKind
from core.store import Store

# (source name, file in core/samples, kind, the day it lists)
SAMPLE_DAYS: list[tuple[str, str, SourceKind, date]] = [
    ("arxiv-rss", "arxiv_rss_cs_2024-11-28.xml", SourceKind.ARXIV_RSS, date(2024, 11, 28)),
    ("arxiv-rss", "arxiv_atom_cs.AI_2025-08-20.xml", SourceKind.ARXIV_RSS, date(2025, 8, 20)),
    ("hf-daily", "hf_daily_2026-05-08.json", SourceKind.HF_DAILY, date(2026, 5, 8)),
    ("hf-daily", "hf_daily_2026-07-31.json", SourceKind.HF_DAILY, date(2026, 7, 31)),
]


def sample_path(name: str) -> Path:
    """The installed path of a sample file."""
    return Path(str(resources.files("core").joinpath("samples", name)))


def demo_config(config: Config) -> Config:
    """The user's config pointed at the demo's own directories and the sample sources."""
    dirs = config.dirs.demo()
    sources = [
        SourceConfig(
            name=f"sample-{day.isoformat()}", url=sample_path(file).as_uri(), kind=kind.value
        )
        for _, file, kind, day in SAMPLE_DAYS
    ]
    output = dataclasses.replace(config.output, dir=str(dirs.output))
    fetch = dataclasses.replace(config.fetch, enrich_with_arxiv_api=False)
    return dataclasses.replace(config, sources=sources, dirs=dirs, output=output, fetch=fetch)


async def load_sample_days(
    store: Store, config: Config, on_progress: ProgressCallback | None = None
) -> list[FetchSummary]:
    """Fetch every sample day into `store`, one ledger run per day."""
    summaries = []
    for _, file, kind, day in SAMPLE_DAYS:
        spec = SourceSpec(f"sample-{day.isoformat()}", sample_path(file).as_uri(), kind)
        summaries.append(
            await fetch_day(store, config, day, specs=[spec], on_progress=on_progress, enrich=False)
        )
    return summaries
