"""Render the digest email (and the day's HTML report page) in a real browser, as a reader sees them.

    python scripts/render_email.py --sample                 # the test day, every summary state
    python scripts/render_email.py --date 2026-05-08        # a day from your own store

Writes to `<out>` (default ./email-preview): `email.html` with its chart, the report page
`report.html`, and PNG screenshots of each — a phone at 375 px in light and in dark mode,
and a 1280 px desktop window: `email-375-light.png`, `email-375-dark.png`,
`email-desktop.png`, `report-375-light.png`, `report-375-dark.png`, `report-desktop.png`.
It prints each screenshot's path, the email's HTML size as sent (transfer-encoded), and
whether any page scrolls sideways at 320, 375 or 414 px.

Needs Chromium and its driver (`apt-get install chromium chromium-driver fonts-nanum`)
and selenium (in the test extra); the pages load nothing from the network.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="store_true", help="use the test day (fixtures)")
    parser.add_argument("--date", help="the day to render from your store (YYYY-MM-DD)")
    parser.add_argument("--config", help="config file (default: the usual search)")
    parser.add_argument("--out", default="email-preview", help="output directory")
    args = parser.parse_args(argv)

    from core.channels.chart import render_chart_png
    from core.channels.mail import email_context, fit_html, render_preview
    from core.config import load_config
    from core.digest import build_digest
    from core.store import Store
    from tests.browser import DESKTOP, PHONE_WIDTHS, browser, missing_browser

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    config = load_config(args.config)
    if args.sample:
        from core.profile import set_feedback
        from tests.publish_data import DAY, populate_day

        config.rank.method = "lexical"  # no Ollama needed for the sample's "For you"
        store = Store(Path(tempfile.mkdtemp()) / "sample.sqlite3")
        published = populate_day(store, config)
        set_feedback(store, config, published.ids[3], "like", source="sample")
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
    email_page = out / "email.html"
    email_page.write_text(html, encoding="utf-8")
    _, compact, encoding, size = fit_html(email_context(digest, config, "cid:chart"))
    print(
        f"email HTML part: {len(html.encode('utf-8')):,} bytes of UTF-8; as sent "
        f"{size:,} bytes ({encoding}, detail level {compact})  {email_page}"
    )
    pages = {"email": email_page}
    try:
        from core.channels.page import render_page

        report_page = out / "report.html"
        report_page.write_text(render_page(digest, config, chart_src=chart.name), encoding="utf-8")
        pages["report"] = report_page
    except ImportError:
        pass

    missing = missing_browser()
    if missing:
        print(f"no screenshots: {missing}", file=sys.stderr)
        return 1
    with browser() as chrome:
        for name, page in pages.items():
            for width in PHONE_WIDTHS:
                chrome.open(page.as_uri(), width)
                layout = chrome.layout()
                verdict = "fits" if layout.scroll_width <= layout.viewport else "SCROLLS SIDEWAYS"
                print(f"{name} at {width} px: {verdict} (content {layout.scroll_width} px)")
                for element in layout.overflowing[:5]:
                    print(f"  past the edge: {element}")
            for label, width, dark, mobile in (
                ("375-light", 375, False, True),
                ("375-dark", 375, True, True),
                ("desktop", DESKTOP[0], False, False),
            ):
                chrome.open(page.as_uri(), width, dark=dark, mobile=mobile)
                print(f"screenshot: {chrome.screenshot(out / f'{name}-{label}.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
