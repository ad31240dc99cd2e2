"""A curated mutation pass: break one piece of important behaviour, run its tests, expect a failure.

    python scripts/mutation_pass.py                  # every mutation, its own test files
    python scripts/mutation_pass.py -k merge -k ids  # only mutations whose name contains a word
    python scripts/mutation_pass.py --full           # the whole suite for each mutation (slow)
    python scripts/mutation_pass.py --list           # the mutations and their tests
    python scripts/mutation_pass.py --check          # only check every snippet still applies

Each mutation names a file, an exact snippet of today's code, what replaces it, and the test
files that guard that behaviour. The pass copies the repository (tracked and untracked files,
as they are in the worktree, minus what .gitignore ignores) to a temporary directory, checks
that the tests pass there unchanged, then applies one mutation at a time, runs its tests with
`-x`, and restores the file. The worktree itself is never written.

- killed: the tests failed (or hung past --timeout): the behaviour is guarded.
- SURVIVED: the tests passed with the behaviour broken — a test is missing or cannot fail.
- NOT APPLICABLE: the snippet is no longer in the file exactly once (the code moved on): update
  the mutation. This fails the pass, so a stale list cannot look like a clean one.
- BROKEN: the mutated code did not even import or collect (a bad mutation, not a kill).

Exit status: 0 when every mutation was killed, 1 when any survived, 2 when any was not
applicable or broken. To add a mutation, append a `Mutation` to MUTATIONS below; keep the
snippet short but unique, and list the test files that should notice.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Queue

ROOT = Path(__file__).resolve().parent.parent

# The test files that guard each area; the cheap, direct ones first (pytest runs files in the
# order given, and -x stops at the first failure, so a killed mutation costs little).
GATE = ("tests/test_quality.py", "tests/test_summarize.py")
SUMMARIES = ("tests/test_summarize.py", "tests/test_pipeline.py")
SANITIZE = (
    "tests/test_sanitizers.py",
    "tests/test_hostile.py",
    "tests/test_report.py",
    "tests/test_feeds.py",
    "tests/test_mail.py",
)
TUI = ("tests/test_sanitizers.py", "tests/test_tui.py")
IDS = ("tests/test_store.py", "tests/test_sources.py", "tests/test_ingest.py")
MERGE = ("tests/test_store.py", "tests/test_ingest.py", "tests/test_sources.py")
MAIL = ("tests/test_store.py", "tests/test_mail.py", "tests/test_pipeline.py")
RUNS = ("tests/test_store.py", "tests/test_pipeline.py", "tests/test_resilience.py")
HTTP = ("tests/test_fetch.py", "tests/test_ingest.py")


@dataclass(frozen=True)
class Mutation:
    """One deliberate break: `original` (found exactly once in `file`) becomes `replacement`."""

    name: str
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]
    breaks: str
    """What a user would lose if this shipped (shown for survivors)."""


MUTATIONS: list[Mutation] = [
    # --- the Korean quality gate (core/quality.py) and what the summarizer does with it -----
    Mutation(
        "gate-hanja-allowed",
        "core/quality.py",
        '(HANJA, _HAN, "Han characters (Hanja)"),',
        "",
        GATE,
        "Hanja such as 重大한 pass the gate",
    ),
    Mutation(
        "gate-english-allowed",
        "core/quality.py",
        "if result.hangul_ratio < min_hangul_ratio:",
        "if False:",
        GATE,
        "an English answer passes as a Korean summary",
    ),
    Mutation(
        "gate-too-short-allowed",
        "core/quality.py",
        "and hangul_chars < min_hangul_chars:",
        "and False:",
        GATE,
        "a one-word answer passes as a summary",
    ),
    Mutation(
        "gate-glued-latin-allowed",
        "core/quality.py",
        "        if mixed:\n",
        "        if False:\n",
        GATE,
        "dân족 (Vietnamese letters glued to Hangul) passes",
    ),
    Mutation(
        "gate-quotes-count-against",
        "core/quality.py",
        'outside = _QUOTED.sub(" ", text)',
        "outside = text",
        GATE,
        "quoted English titles and (terms) make a good Korean answer fail",
    ),
    Mutation(
        "gate-invented-numbers-unflagged",
        "core/quality.py",
        "if value not in known and number not in invented:",
        "if False:",
        GATE,
        "numbers the abstract never gave are not flagged",
    ),
    Mutation(
        "gate-report-sections-unchecked",
        "core/quality.py",
        "missing = [section for section in REPORT_SECTIONS if section not in text]",
        "missing = []",
        GATE,
        "a report without the four sections is stored",
    ),
    Mutation(
        "summary-stored-despite-gate",
        "core/summarize.py",
        "        if gate.ok and (best is None or len(gate.flags) < len(best[1].flags)):\n"
        "            best = (text, gate, result)",
        "        if best is None or len(gate.flags) < len(best[1].flags):\n"
        "            best = (text, gate, result)",
        GATE,
        "an answer that failed the gate is stored as an ok summary",
    ),
    Mutation(
        "summary-headings-kept",
        "core/summarize.py",
        'text = _HEADING.sub(r"\\1", text)',
        "text = text",
        GATE,
        "a heading the model was steered into writing stays in the summary",
    ),
    Mutation(
        "report-headings-not-lowered",
        "core/summarize.py",
        'text = _HEADING.sub(lambda m: f"#### {m.group(1)}" if m.group(1) else "", text)',
        "text = text",
        GATE,
        "a model's `#` heading opens a fake section of the published page",
    ),
    # --- caches: the summary key, the report inputs, conditional GET ------------------------
    Mutation(
        "summary-key-ignores-abstract",
        "core/summarize.py",
        '"abstract_hash": abstract_hash(paper.title, paper.abstract),',
        '"abstract_hash": abstract_hash(paper.title, ""),',
        SUMMARIES,
        "a revised abstract keeps the old summary",
    ),
    Mutation(
        "summary-cache-serves-failures",
        "core/summarize.py",
        'if row is None or row["status"] != "ok":',
        "if row is None:",
        SUMMARIES,
        "a failed summary is served from the cache as if it were current",
    ),
    Mutation(
        "report-key-ignores-summaries",
        "core/summarize.py",
        "return text_hash(category, *parts)",
        "return text_hash(category)",
        SUMMARIES,
        "a category report is not rebuilt when its papers' summaries change",
    ),
    Mutation(
        "http-cache-never-written",
        "core/ingest.py",
        "        for page in pages:\n            store.http_cache_put(",
        "        for page in pages[:0]:\n            store.http_cache_put(",
        HTTP,
        "every fetch downloads the whole feed again",
    ),
    Mutation(
        "http-etag-not-sent",
        "core/fetch.py",
        'headers["If-None-Match"] = validators.etag',
        "pass",
        HTTP,
        "the ETag is stored but never sent back",
    ),
    Mutation(
        "http-last-modified-not-sent",
        "core/fetch.py",
        'headers["If-Modified-Since"] = validators.last_modified',
        "pass",
        HTTP,
        "Last-Modified is stored but never sent back",
    ),
    Mutation(
        "http-same-body-not-unchanged",
        "core/ingest.py",
        "cached.body_sha256 == fetched.sha256",
        "False",
        HTTP,
        "a server without conditional GET makes every fetch re-parse the same body",
    ),
    Mutation(
        "http-refresh-uses-cache",
        "core/ingest.py",
        "cached = store.http_cache_get(url) if not refresh and index == 0 else None",
        "cached = store.http_cache_get(url) if index == 0 else None",
        HTTP,
        "`fetch --refresh` still answers 'unchanged'",
    ),
    # --- sanitizers ------------------------------------------------------------------------
    Mutation(
        "clean-text-keeps-controls",
        "core/sanitize.py",
        'text = _UNSAFE_CHARS.sub("", text)',
        "text = text",
        SANITIZE,
        "ESC, NUL and bidi overrides are stored and reach terminals and feeds",
    ),
    Mutation(
        "one-line-keeps-controls",
        "core/sanitize.py",
        'return truncate(_WHITESPACE.sub(" ", _UNSAFE_CHARS.sub(" ", text)).strip(), limit)',
        'return truncate(_WHITESPACE.sub(" ", text).strip(), limit)',
        SANITIZE,
        "titles keep escape sequences",
    ),
    Mutation(
        "html-to-text-keeps-scripts",
        "core/sanitize.py",
        "        if not self._skip:\n",
        "        if True:\n",
        SANITIZE,
        "a feed's <script> body becomes abstract text",
    ),
    Mutation(
        "xml-text-does-nothing",
        "core/channels/feeds.py",
        'return _XML_UNSAFE.sub("", text or "")',
        'return text or ""',
        SANITIZE,
        "ESC and NUL reach the feed XML",
    ),
    Mutation(
        "feed-html-skips-nh3",
        "core/channels/feeds.py",
        "    return xml_text(\n        nh3.clean(\n            xml_text(fragment),",
        "    return xml_text(\n        fragment or nh3.clean(\n            xml_text(fragment),",
        SANITIZE,
        "a javascript: href or a <script> survives in a feed item",
    ),
    Mutation(
        "feed-html-any-scheme",
        "core/channels/feeds.py",
        'url_schemes={"http", "https"},',
        'url_schemes={"http", "https", "javascript", "data"},',
        SANITIZE,
        "javascript: and data: links survive in feed items",
    ),
    Mutation(
        "escape-markdown-does-nothing",
        "core/channels/render.py",
        'escaped = _MARKDOWN_INLINE.sub(r"\\\\\\1", one_line(text))',
        "escaped = one_line(text)",
        SANITIZE,
        "a title opens links, images and raw HTML in the report",
    ),
    Mutation(
        "escape-markdown-block-starts",
        "core/channels/render.py",
        "return _no_autolinks(_BLOCK_START.sub(_escape_block_start, escaped, 1))",
        "return _no_autolinks(escaped)",
        SANITIZE,
        "a title starting with `# ` or `1. ` becomes a heading or a list in the sources",
    ),
    Mutation(
        "autolinks-kept",
        "core/channels/render.py",
        "return _AUTOLINK.sub(escape, text)",
        "return text",
        SANITIZE,
        "bare URLs in untrusted text become links on GitHub",
    ),
    Mutation(
        "safe-url-any-scheme",
        "core/channels/render.py",
        'if scheme not in ("http", "https"):',
        "if False:",
        SANITIZE,
        "a javascript: paper link is printed as a link",
    ),
    Mutation(
        "safe-url-not-encoded",
        "core/channels/render.py",
        'return quote(url, safe="/:?#@!$&\'*+,;=%-._~")',
        "return url",
        SANITIZE,
        "a link with ) or a space breaks out of Markdown (...) and href",
    ),
    Mutation(
        "model-markdown-keeps-links",
        "core/channels/render.py",
        'return _no_autolinks(_MARKDOWN_LINKS.sub(r"\\\\\\1", model_markdown_source(text))).strip()',
        "return model_markdown_source(text).strip()",
        SANITIZE,
        "the model's links, images and raw HTML go into the report",
    ),
    Mutation(
        "model-headings-not-lowered",
        "core/channels/render.py",
        "if heading and len(heading.group(2)) < 3:",
        "if False:",
        SANITIZE,
        "a model's `#` heading poses as one of our sections",
    ),
    Mutation(
        "plain-markdown-block-starts",
        "core/channels/render.py",
        "lines.append(_no_autolinks(_BLOCK_START.sub(_escape_block_start, escaped, 1)))",
        "lines.append(_no_autolinks(escaped))",
        SANITIZE,
        "a summary line starting with # or - becomes a heading or list",
    ),
    Mutation(
        "model-html-raw-html",
        "core/channels/render.py",
        'MarkdownIt("commonmark", {"html": False})',
        'MarkdownIt("commonmark", {"html": True})',
        SANITIZE,
        "the model's raw HTML is interpreted (nh3 then silently drops it) instead of shown",
    ),
    Mutation(
        "feed-title-not-shown",
        "core/channels/templates/feed_paper.html",
        '<a href="{{ paper.url }}">{{ paper.title }}</a>',
        '<a href="{{ paper.url }}">{{ paper.id }}</a>',
        SANITIZE,
        "a feed item's paper has no title (only its escaped summary mentions <script>)",
    ),
    Mutation(
        "report-title-not-shown",
        "core/channels/report.py",
        'head = f"- **{escape_markdown(view.title)}**"',
        'head = f"- **{escape_markdown(view.id)}**"',
        SANITIZE,
        "the report's paper heading has no title",
    ),
    Mutation(
        "mail-title-not-shown",
        "core/channels/templates/email.html",
        'text-decoration:none;">{{ paper.title }}</a>',
        'text-decoration:none;">{{ paper.id }}</a>',
        SANITIZE,
        "the email's paper heading has no title",
    ),
    Mutation(
        "prompt-delimiters-not-defused",
        "core/prompts.py",
        'return _DELIMITER.sub(lambda match: f"[{match.group(1)}]", text).strip()',
        "return text.strip()",
        GATE,
        "an abstract can close <abstract> and speak as the prompt",
    ),
    Mutation(
        "tui-safe-keeps-controls",
        "tui/text.py",
        "return Text(clean_text(text), style=style)",
        'return Text(text or "", style=style)',
        TUI,
        "escape sequences in an abstract reach the terminal",
    ),
    Mutation(
        "tui-safe-parses-markup",
        "tui/text.py",
        "return Text(clean_text(text), style=style)",
        "return Text.from_markup(clean_text(text), style=style)",
        TUI,
        "[@click=app.quit] in a title becomes an action",
    ),
    Mutation(
        "tui-safe-line-keeps-controls",
        "tui/text.py",
        "return Text(one_line(text), style=style",
        'return Text(text or "", style=style',
        TUI,
        "escape sequences and newlines in a title reach the terminal",
    ),
    # --- ids --------------------------------------------------------------------------------
    Mutation(
        "ids-version-dropped",
        "core/ids.py",
        "version = int(match.group(2)) if match.group(2) else None",
        "version = None",
        IDS,
        "a new arXiv version is not recognised as newer",
    ),
    Mutation(
        "ids-http-and-https-differ",
        "core/ids.py",
        'if scheme == "http":',
        "if False:",
        IDS,
        "the same page over http and https is two papers",
    ),
    Mutation(
        "ids-trailing-slash-differs",
        "core/ids.py",
        'path = parts.path.rstrip("/") or "/"',
        'path = parts.path or "/"',
        IDS,
        "a link with a trailing slash is another paper",
    ),
    Mutation(
        "ids-fragment-kept",
        "core/ids.py",
        'path, parts.query, ""))',
        "path, parts.query, parts.fragment))",
        IDS,
        "a link with #anchor is another paper",
    ),
    Mutation(
        "ids-hf-link-not-read",
        "core/ids.py",
        r"huggingface\.co/papers/|",
        "",
        IDS,
        "a feed item linking a Hugging Face paper page is not matched to its arXiv paper",
    ),
    Mutation(
        "ids-link-before-arxiv-id",
        "core/ids.py",
        "    if arxiv_id:\n        return arxiv_id",
        "    if arxiv_id and not link:\n        return arxiv_id",
        IDS,
        "a paper from HF and arXiv is stored twice",
    ),
    # --- merging ----------------------------------------------------------------------------
    Mutation(
        "merge-batch-last-wins",
        "core/store/papers.py",
        "batch[paper.id] = merge_paper(batch[paper.id], paper)",
        "batch[paper.id] = paper",
        MERGE,
        "a paper listed twice in one feed loses the first entry's categories, upvotes, links",
    ),
    Mutation(
        "merge-stored-replaced",
        "core/store/papers.py",
        "merged = merge_paper(stored, incoming)",
        "merged = incoming",
        MERGE,
        "a second source's copy replaces what the first one gave",
    ),
    Mutation(
        "merge-text-last-wins",
        "core/store/papers.py",
        "takes_text = newer or (not older and incoming.text_rank >= stored.text_rank)",
        "takes_text = True",
        MERGE,
        "an old version or HF's copy replaces arXiv's current text",
    ),
    Mutation(
        "merge-categories-replaced",
        "core/store/papers.py",
        "merged.categories = list(dict.fromkeys([*stored.categories, *incoming.categories]))",
        "merged.categories = incoming.categories or stored.categories",
        MERGE,
        "a cross-list's categories replace the paper's own",
    ),
    Mutation(
        "merge-links-replaced",
        "core/store/papers.py",
        "{**incoming.links, **stored.links} if not takes_text else {**stored.links, **incoming.links}",
        "incoming.links or stored.links",
        MERGE,
        "the HF link or the arXiv link is lost",
    ),
    Mutation(
        "merge-signals-erased",
        "core/store/papers.py",
        "        if getattr(incoming, name) is not None:\n            setattr(merged, name,",
        "        if True:\n            setattr(merged, name,",
        MERGE,
        "an arXiv copy (no upvotes) erases Hugging Face's upvotes",
    ),
    Mutation(
        "merge-version-not-raised",
        "core/store/papers.py",
        "        merged.version = incoming.version\n",
        "        pass\n",
        MERGE,
        "the stored version stays old, so the old text comes back",
    ),
    # --- ledgers ----------------------------------------------------------------------------
    Mutation(
        "mail-ledger-ignored",
        "core/channels/mail.py",
        "if not force and store.delivered(day, _addr(recipient)):",
        "if False:",
        MAIL,
        "every `dailyai email` sends the day again to everyone",
    ),
    Mutation(
        "mail-ledger-failed-counts-as-sent",
        "core/store/deliveries.py",
        " AND status = 'sent'\",\n                        (channel, str(day), recipient_key(channel, address)),",
        '",\n                        (channel, str(day), recipient_key(channel, address)),',
        MAIL,
        "a recipient whose send failed is never retried",
    ),
    Mutation(
        "mail-ledger-sent-not-recorded",
        "core/channels/mail.py",
        'store.record_delivery(day, _addr(recipient), status="sent", message_id=message_id)',
        "pass",
        MAIL,
        "a resend after a crash mails everyone again",
    ),
    Mutation(
        "mail-ledger-case-sensitive",
        "core/store/claims.py",
        "return recipient.lower() if channel == EMAIL_CHANNEL else recipient",
        "return recipient",
        MAIL,
        "Alice@x and alice@x get the digest twice",
    ),
    Mutation(
        "run-ledger-never-finished",
        "core/pipeline.py",
        "store.finish_run(run_id, result.status, result.empty_reason)",
        "pass",
        RUNS,
        "every run looks unfinished (crashed) in the ledger",
    ),
    Mutation(
        "run-ledger-steps-not-recorded",
        "core/ingest.py",
        "    for result in results:\n        store.record_step(",
        "    for result in results[:0]:\n        store.record_step(",
        RUNS,
        "the ledger does not say which source failed and why",
    ),
]


@dataclass
class Outcome:
    mutation: Mutation
    verdict: str  # killed, timeout, SURVIVED, NOT APPLICABLE, BROKEN
    seconds: float = 0.0
    detail: str = ""


def workspace_files(root: Path) -> list[str]:
    """The worktree's files as git sees them: tracked and untracked, minus ignored ones."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    return [name for name in listed.split("\0") if name and (root / name).is_file()]


def copy_workspace(root: Path, files: list[str], target: Path) -> None:
    for name in files:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, destination)


def pytest_command(tests: tuple[str, ...] | list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]


def run_tests(copy: Path, tests: tuple[str, ...] | list[str], timeout: float) -> tuple[str, str]:
    """Run `tests` in `copy`: ("passed" | "failed" | "broken" | "timeout", output tail).

    Test files that do not exist (renamed since the list was written) are left out.
    """
    tests = [test for test in tests if (copy / test).exists()]
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(
            pytest_command(tests),
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timeout", ""
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
    if done.returncode == 0:
        return "passed", tail
    if done.returncode == 1:
        return "failed", tail
    return "broken", tail  # 2 interrupted (collection error), 3 internal, 4 usage, 5 no tests


def apply(copy: Path, mutation: Mutation) -> str | None:
    """Write the mutated file into `copy`; the original text, or None if not applicable."""
    path = copy / mutation.file
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if text.count(mutation.original) != 1:
        return None
    path.write_text(text.replace(mutation.original, mutation.replacement), encoding="utf-8")
    return text


def _applies(root: Path, mutation: Mutation) -> bool:
    path = root / mutation.file
    return path.is_file() and path.read_text(encoding="utf-8").count(mutation.original) == 1


def not_applicable_detail(root: Path, mutation: Mutation) -> str:
    path = root / mutation.file
    if not path.is_file():
        return f"{mutation.file} does not exist"
    found = path.read_text(encoding="utf-8").count(mutation.original)
    return f"snippet found {found} times in {mutation.file} (needs exactly 1): update it"


def check_import_path(copy: Path) -> None:
    """The copy's own `core` must be the one imported, not the installed worktree's."""
    env = {**os.environ, "PYTHONPATH": str(copy)}
    found = subprocess.run(
        [sys.executable, "-c", "import core, tui; print(core.__file__); print(tui.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not all(Path(path).resolve().is_relative_to(copy.resolve()) for path in found):
        raise SystemExit(f"the copy imports core/tui from elsewhere ({found}); cannot mutate")


def run_one(copy: Path, mutation: Mutation, root: Path, timeout: float, full: bool) -> Outcome:
    original = apply(copy, mutation)
    if original is None:
        return Outcome(mutation, "NOT APPLICABLE", detail=not_applicable_detail(root, mutation))
    started = time.monotonic()
    try:
        result, tail = run_tests(copy, [] if full else mutation.tests, timeout)
    finally:
        (copy / mutation.file).write_text(original, encoding="utf-8")
    seconds = time.monotonic() - started
    verdict = {"failed": "killed", "timeout": "timeout", "passed": "SURVIVED"}.get(result, "BROKEN")
    detail = mutation.breaks if verdict == "SURVIVED" else (tail if verdict == "BROKEN" else "")
    return Outcome(mutation, verdict, seconds, detail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-k", action="append", default=[], help="only names containing this")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    parser.add_argument("--check", action="store_true", help="only check the snippets apply")
    parser.add_argument("--full", action="store_true", help="run the whole suite per mutation")
    parser.add_argument("--jobs", type=int, default=1, help="mutations run at once (copies)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per test run")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    args = parser.parse_args(argv)

    chosen = [m for m in MUTATIONS if not args.k or any(word in m.name for word in args.k)]
    if args.list:
        for mutation in chosen:
            print(f"{mutation.name:36} {mutation.file:20} {' '.join(mutation.tests)}")
        return 0
    if not chosen:
        print("no mutation matches", file=sys.stderr)
        return 2
    if args.check:
        stale = [m for m in chosen if not _applies(ROOT, m)]
        for mutation in stale:
            print(f"NOT APPLICABLE  {mutation.name}: {not_applicable_detail(ROOT, mutation)}")
        print(f"{len(chosen) - len(stale)} of {len(chosen)} mutations apply")
        return 2 if stale else 0

    missing = sorted({t for m in chosen for t in m.tests if not (ROOT / t).exists()})
    if missing:
        print(f"warning: test files not found, left out: {' '.join(missing)}", flush=True)
    files = workspace_files(ROOT)
    with tempfile.TemporaryDirectory(prefix="dailyai-mutation-") as scratch:
        copies: Queue[Path] = Queue()
        for index in range(max(1, args.jobs)):
            copy = Path(scratch) / f"copy{index}"
            copy_workspace(ROOT, files, copy)
            copies.put(copy)
        first = copies.queue[0]
        check_import_path(first)
        if not args.no_baseline:
            tests = [] if args.full else sorted({t for m in chosen for t in m.tests})
            print(f"baseline: {' '.join(tests) or 'the whole suite'} ...", flush=True)
            result, tail = run_tests(first, tests, args.timeout * 4)
            if result != "passed":
                print(f"the tests fail without any mutation ({result}):\n{tail}")
                return 2

        lock = threading.Lock()
        outcomes: list[Outcome] = []

        def work(mutation: Mutation) -> None:
            copy = copies.get()
            try:
                outcome = run_one(copy, mutation, ROOT, args.timeout, args.full)
            finally:
                copies.put(copy)
            with lock:
                outcomes.append(outcome)
                print(
                    f"{outcome.verdict:15} {mutation.name:36} {outcome.seconds:6.1f} s"
                    + (f"\n    {outcome.detail}" if outcome.detail else ""),
                    flush=True,
                )

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            list(pool.map(work, chosen))

    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.verdict] = counts.get(outcome.verdict, 0) + 1
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    others = {v: n for v, n in counts.items() if v not in ("killed", "timeout")}
    print(
        f"\n{killed} of {len(outcomes)} killed"
        + (f" ({counts['timeout']} by timeout)" if counts.get("timeout") else "")
        + "".join(f", {count} {verdict}" for verdict, count in sorted(others.items()))
    )
    order = {m.name: i for i, m in enumerate(MUTATIONS)}
    for verdict in ("SURVIVED", "NOT APPLICABLE", "BROKEN"):
        for outcome in sorted(outcomes, key=lambda o: order[o.mutation.name]):
            if outcome.verdict == verdict:
                print(f"  {verdict}: {outcome.mutation.name} — {outcome.mutation.breaks}")
    if counts.get("NOT APPLICABLE") or counts.get("BROKEN"):
        return 2
    return 1 if counts.get("SURVIVED") else 0


if __name__ == "__main__":
    sys.exit(main())
