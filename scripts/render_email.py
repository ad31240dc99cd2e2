"""Render the digest email's HTML with headless Chromium to a PNG, to look at it as a reader.

    python scripts/render_email.py --sample                 # the test day, every summary state
    python scripts/render_email.py --date 2026-05-08        # a day from your own store
    python scripts/render_email.py --sample --width 400     # as on a phone

Writes `<out>/email.html`, the chart beside it, and `<out>/email.png` (default out:
./email-preview). Needs Chromium (`apt-get install chromium`); it runs with no network,
no GPU, a fresh profile and no sandbox (for containers).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="store_true", help="use the test day (fixtures)")
    parser.add_argument("--date", help="the day to render from your store (YYYY-MM-DD)")
    parser.add_argument("--config", help="config file (default: the usual search)")
    parser.add_argument("--out", default="email-preview", help="output directory")
    parser.add_argument("--width", type=int, default=680, help="window width in pixels")
    parser.add_argument("--height", type=int, default=0, help="window height (default: auto)")
    args = parser.parse_args(argv)

    from core.channels.chart import render_chart_png
    from core.channels.mail import render_preview
    from core.config import load_config
    from core.digest import build_digest
    from core.store import Store

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    config = load_config(args.config)
    if args.sample:
        from tests.publish_data import DAY, populate_day

        store = Store(Path(tempfile.mkdtemp()) / "sample.sqlite3")
        populate_day(store, config)
        day = DAY
    else:
        if not args.date:
            parser.error("give --date YYYY-MM-DD or --sample")
        store = Store(config.dirs.database)
        day = args.date
    digest = build_digest(store, config, day)
    chart = out / "chart.png"
    chart.write_bytes(render_chart_png(digest))
    _, html = render_preview(digest, config, chart_src=chart.name)
    page = out / "email.html"
    page.write_text(html, encoding="utf-8")
    print(f"HTML part: {len(html.encode('utf-8')):,} bytes ({page})")

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium not found — `apt-get install -y chromium`", file=sys.stderr)
        return 1
    height = args.height or max(1200, html.count("<tr>") * 95)
    screenshot = out / "email.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={args.width},{height}",
                f"--screenshot={screenshot}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"screenshot: {screenshot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
