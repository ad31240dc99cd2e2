"""The digest email's size as Gmail receives it, for a 30- and a 100-paper day.

Gmail clips a message whose HTML part, as received, passes about 102 KB. What travels is
the part after its transfer encoding, and for Korean that choice matters: UTF-8 writes a
Hangul syllable in 3 bytes, quoted-printable in 9 (`=EC=9A=94`), base64 in 4; the inline-
styled markup around it is ASCII, which quoted-printable keeps as is. This builds a store
holding one day of N papers (titles and abstracts cycled from the recorded Hugging Face
fixture), each classified with a Korean summary of typical length (3–4 sentences), and a
Korean report per category, builds the real message, and prints for each day:

    HTML     UTF-8 bytes of the part; as sent (bytes on the wire, CRLF line ends) in the
             encoding the app chose; what quoted-printable and base64 would each have been
    level    the detail level the app kept to fit (0 = everything)
    text     the plain-text part as sent, and the whole message with the chart

    python bench/bench_email_size.py [--papers 30 100]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import sys
import tempfile
from datetime import date
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from figures import record  # noqa: E402 - bench/ is not a package

FIXTURE = ROOT / "tests" / "fixtures" / "hf_daily_papers_date_2026-05-08_llm-paper-radar.json"
DAY = date(2026, 5, 8)
GMAIL_CLIP = 102 * 1024


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[30, 100])
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as home:
        os.environ["DAILYAI_HOME"] = home
        for papers in args.papers:
            figures.update(measure(Path(home), papers))
    record("email", figures)
    return figures


def _on_wire(payload: str) -> int:
    return len(payload.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii"))


def _encoded(html: str, cte: str) -> int:
    part = EmailMessage()
    part.set_content(html, subtype="html", charset="utf-8", cte=cte)
    return _on_wire(part.get_payload())


def measure(home: Path, papers: int) -> dict[str, float]:
    """Build the day's message and print its sizes; returns the headline figures."""
    from core.channels.chart import render_chart_png
    from core.channels.mail import HTML_LIMIT_BYTES, build_message, email_context, fit_html
    from core.config import load_config
    from core.digest import build_digest
    from core.store import Store

    config = load_config()
    config.digest.size = papers
    config.email.sender = "digest@example.org"
    config.output.site_url = "https://example.org/ai"
    store = Store(home / f"email-{papers}.sqlite3")
    _fill(store, config, papers)
    digest = build_digest(store, config, DAY)
    chart = render_chart_png(digest)
    message = build_message(digest, config, "reader@example.com", chart)
    wire = message.as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    html_part = next(p for p in parsed.walk() if p.get_content_type() == "text/html")
    text_part = next(p for p in parsed.walk() if p.get_content_type() == "text/plain")
    html = html_part.get_content()
    sent = _on_wire(html_part.get_payload(decode=False))
    _, level, cte, _ = fit_html(email_context(digest, config, "cid:chart"))
    qp, b64 = _encoded(html, "quoted-printable"), _encoded(html, "base64")
    store.close()
    print(f"A {papers}-paper day ({len(digest.sections)} categories):")
    print(f"  HTML part   {len(html.encode('utf-8')):>9,} B UTF-8")
    print(
        f"              {sent:>9,} B as sent ({html_part['Content-Transfer-Encoding']}); "
        f"quoted-printable {qp:,} B, base64 {b64:,} B"
    )
    print(
        f"              limit {HTML_LIMIT_BYTES:,} B (Gmail clips at {GMAIL_CLIP:,} B): "
        f"{'fits' if sent <= HTML_LIMIT_BYTES else 'OVER'}, detail level {level} ({cte})"
    )
    print(f"  text part   {_on_wire(text_part.get_payload(decode=False)):>9,} B as sent")
    print(f"  message     {len(wire):>9,} B with the chart ({len(chart):,} B PNG)")
    return {
        f"html_sent_{papers}": sent,
        f"html_utf8_{papers}": len(html.encode("utf-8")),
        f"html_qp_{papers}": qp,
        f"html_base64_{papers}": b64,
        f"level_{papers}": level,
    }


def _fill(store, config, papers: int) -> None:
    """One day of `papers` classified papers with typical Korean summaries and reports."""
    from core.models import Listed, Paper
    from core.prompts import REPORT_PROMPT_VERSION, SUMMARY_PROMPT_VERSION, abstract_hash
    from core.sources import hf_daily

    sample = hf_daily.parse(FIXTURE.read_bytes(), day=DAY, label="bench", source="bench").listed
    listed = []
    for index in range(papers):
        source = sample[index % len(sample)].paper
        paper_id = f"2605.{10000 + index}"
        listed.append(
            Listed(
                Paper(
                    id=paper_id,
                    arxiv_id=paper_id,
                    title=source.title,
                    abstract=source.abstract,
                    authors=source.authors,
                    links={"abs": f"https://arxiv.org/abs/{paper_id}"},
                    hf_upvotes=papers - index,
                    github_repo=source.github_repo,
                ),
                day=DAY,
            )
        )
    store.merge_listed(listed, "hf-daily")
    categories = [category.name for category in config.taxonomy.categories][:7]
    model = config.llm.model
    for index, item in enumerate(listed):
        paper = item.paper
        store.set_classification(
            paper.id,
            category=categories[index % len(categories)],
            confidence=0.9,
            method="rules",
            taxonomy_version=config.taxonomy.version,
        )
        store.save_summary(
            paper.id,
            model=model,
            prompt_version=SUMMARY_PROMPT_VERSION,
            abstract_hash=abstract_hash(paper.title, paper.abstract),
            status="ok",
            text=(
                f"이 논문은 {paper.title[:50]} 문제를 다루며, 기존 방법이 긴 입력과 복잡한 "
                "추론에서 성능이 떨어지는 한계를 지적한다. 저자들은 학습 데이터를 단계적으로 "
                "구성하고 보상 신호를 세분화하는 새로운 방법을 제안한다. 여러 공개 벤치마크에서 "
                "기존 최고 성능 모델보다 일관되게 좋은 결과를 보였으며, 코드와 데이터를 공개했다."
            ),
        )
    for name in categories:
        store.save_category_report(
            DAY,
            name,
            model=model,
            prompt_version=REPORT_PROMPT_VERSION,
            inputs_hash="bench",
            status="ok",
            text=(
                f"### {name} 종합 보고서\n\n#### 주요 주제 및 경향\n\n"
                + "\n".join(
                    f"- 주제 {i}: 여러 논문이 **에이전트**와 추론의 결합을 다루며, 긴 맥락에서의 "
                    "안정성과 평가 방법의 한계를 함께 지적한다."
                    for i in range(6)
                )
                + "\n\n#### 주요 이벤트 및 정보\n\n새로운 벤치마크와 공개 모델이 여럿 나왔다."
                + "\n\n#### 결론\n\n이 분야는 평가 방법과 함께 빠르게 발전하고 있다."
            ),
        )


if __name__ == "__main__":
    main()
