"""Korean text split into the morphemes search indexes, by the Kiwi analyser (kiwipiepy).

Korean writes compounds and particles without spaces (`강화학습을`), so a word index finds
`학습` only at the start of a word. Kiwi splits such words into morphemes (`강화 학습 을`);
the search index keeps the ones that carry meaning (nouns, roots, stems, affixes) and drops
particles and endings, so `학습` finds `강화학습을`.

Kiwi's model takes about a second and 230 MB of memory to load. The app's own processes
(the TUI above all, which runs for hours) never load it: `analyse` starts a short-lived
child process (`python -m core.korean`) that analyses a batch and exits, taking its memory
with it. Queries are not analysed at all: the store splits them into morphemes it has
indexed (core.store.search), which needs no model.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from core.errors import DailyAIError
from core.i18n import _

HANGUL_SYLLABLES = "가-힣"
"""The range of precomposed Hangul syllables: text with one of them is Korean to the index."""
_HANGUL = re.compile(f"[{HANGUL_SYLLABLES}]")

INDEXED_TAGS = frozenset({"NNG", "NNP", "XPN", "XSN", "XR", "VV", "VA"})
"""Kiwi's tags of the morphemes search indexes: common and proper nouns, noun prefixes and
suffixes (대-규모, 최적-화, 생성-형), roots, and verb and adjective stems. Particles (J*),
endings (E*), determiners, bound nouns (것, 수) and light verbs (하다, 되다) are left out."""

# fmt: off
PARTICLES_AND_ENDINGS = tuple(sorted({
    # Case and topic particles, alone and stacked (조사).
    "이", "가", "을", "를", "은", "는", "의", "에", "도", "만", "와", "과", "로", "나", "께",
    "에서", "에게", "한테", "으로", "까지", "부터", "보다", "처럼", "만큼", "마다", "이나", "이며",
    "이고", "이란", "이라", "이다", "이었다", "라는", "이라는", "에는", "에도", "에서는",
    "에서도", "에서의", "에의", "으로는", "으로도", "으로의", "로는", "로도", "로의", "와의",
    "과의", "와는", "과는", "만의", "까지의", "부터의",
    # Endings of the verbs nouns make with 하다, 되다 and 시키다 (제안하는, 개선된).
    "하는", "한", "할", "함", "해", "하고", "하여", "하며", "하면", "하기", "하지", "한다",
    "했다", "합니다", "하였다", "되는", "된", "될", "됨", "되어", "되고", "되며", "되면",
    "되기", "된다", "되었다", "시키는", "시킨", "시켜", "시킨다",
}, key=len, reverse=True))
# fmt: on
"""What may follow a noun in a query word and is left off when searching its morphemes
(the analyser drops the same from indexed text); longest first."""

KIWI_OPTIONS = {"load_typo_dict": False, "load_multi_dict": False}
"""Model-written summaries have no typos, and multi-word entries would join words that a
search should find apart; without both dictionaries Kiwi loads faster in less memory."""


class KoreanAnalyserError(DailyAIError):
    """The Korean morphological analyser (kiwipiepy) could not be run."""


def has_hangul(text: str | None) -> bool:
    """True when `text` has a Hangul syllable (the same test the store's SQL makes)."""
    return bool(text) and _HANGUL.search(text) is not None


NOUN_TAGS = frozenset({"NNG", "NNP"})


class Morphemes:
    """What search indexes of a text, by Kiwi: its indexed morphemes in order, each compound
    noun split the same way wherever it stands.

    In context Kiwi sometimes keeps a compound whole (`강화학습과` → 강화학습, a guessed
    proper noun) and elsewhere splits it (`강화학습을` → 강화, 학습); a noun of three or
    more syllables is therefore split as Kiwi splits it alone, so the index holds one form.
    """

    def __init__(self, kiwi: Any) -> None:
        self.kiwi = kiwi
        self._split: dict[str, list[str]] = {}

    def of(self, tokens: Iterable[Any]) -> list[str]:
        """The indexed morphemes of Kiwi's tokens of one text."""
        found: list[str] = []
        for token in tokens:
            form, tag = token.form, token.tag
            if tag not in INDEXED_TAGS or not has_hangul(form):
                continue
            found.extend(self.split(form) if tag in NOUN_TAGS and len(form) >= 3 else [form])
        return found

    def split(self, noun: str) -> list[str]:
        """A noun as the morphemes Kiwi finds in it alone (itself when it has no parts)."""
        if noun not in self._split:
            parts = [t.form for t in self.kiwi.tokenize(noun) if t.tag in INDEXED_TAGS]
            self._split[noun] = parts if len(parts) > 1 and "".join(parts) == noun else [noun]
        return self._split[noun]


def analyse(
    texts: Sequence[str],
    *,
    on_result: Callable[[int, list[str]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[list[str]]:
    """The indexed morphemes of each of `texts`, from Kiwi run in a child process.

    `on_result(index, morphemes)` is called as each text is done (so a caller can store
    and report progress); when `should_stop()` turns true the child is ended and the
    morphemes found so far are returned. Raises KoreanAnalyserError when Kiwi cannot run.
    """
    if not texts:
        return []
    package_root = str(Path(__file__).resolve().parent.parent)
    pythonpath = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "core.korean"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": pythonpath, "PYTHONIOENCODING": "utf-8"},
            encoding="utf-8",
        )
    except OSError as error:
        raise KoreanAnalyserError(
            _(
                "Korean search index: cannot start the analyser ({error}) — check that "
                "{executable} runs"
            ).format(error=error, executable=sys.executable)
        ) from error
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    done = threading.Event()
    errors: list[str] = []
    # The texts go in, and the child's complaints come out, in threads of their own while
    # the answers are read here, so no side waits on a full pipe; a third ends the child
    # as soon as the caller wants to stop, even in the middle of a long text.
    helpers = [
        threading.Thread(target=_feed, args=(child.stdin, texts), daemon=True),
        threading.Thread(target=lambda: errors.extend(child.stderr), daemon=True),
    ]
    if should_stop is not None:
        helpers.append(
            threading.Thread(target=_watch, args=(child, should_stop, done), daemon=True)
        )
    for helper in helpers:
        helper.start()
    results: list[list[str]] = []
    try:
        for line in child.stdout:
            try:
                morphemes = json.loads(line)
            except ValueError:
                errors.append(f"unreadable answer {line[:80]!r}")
                break
            if on_result is not None:
                on_result(len(results), morphemes)
            results.append(morphemes)
            if len(results) == len(texts) or (should_stop is not None and should_stop()):
                break
    finally:
        done.set()
        if len(results) < len(texts):
            child.kill()
        child.wait()
        for helper in helpers:
            helper.join()
        child.stdout.close()
        child.stderr.close()
    stopped = should_stop is not None and should_stop()
    if len(results) < len(texts) and not stopped:
        said = [line.strip() for line in errors if line.strip()]
        reason = said[-1] if said else f"exit status {child.returncode}"
        raise KoreanAnalyserError(
            _(
                "Korean search index: the analyser stopped after {count} of {count2} texts "
                "({reason}) — reinstall it with `pip install --force-reinstall kiwipiepy`"
            ).format(count=len(results), count2=len(texts), reason=reason)
        )
    return results


def _feed(stream: TextIO, texts: Sequence[str]) -> None:
    try:
        for text in texts:
            stream.write(json.dumps(text, ensure_ascii=False) + "\n")
        stream.close()
    except (BrokenPipeError, ValueError, OSError):
        pass  # the child ended early (stopped, or failed: its stderr says why)


def _watch(
    child: subprocess.Popen[str], should_stop: Callable[[], bool], done: threading.Event
) -> None:
    while not done.wait(0.1):
        if should_stop():
            child.kill()
            return


def _analyse_here(lines: Iterable[str]) -> Iterator[list[str]]:
    """The child's work: Kiwi over JSON-encoded texts, one result per text, in order."""
    try:
        from kiwipiepy import Kiwi
    except ImportError as error:
        raise SystemExit(
            f"kiwipiepy is not installed ({error}) — run `pip install kiwipiepy`"
        ) from error
    kiwi = Kiwi(num_workers=min(2, os.cpu_count() or 1), **KIWI_OPTIONS)
    morphemes = Morphemes(kiwi)
    texts = (json.loads(line) for line in lines)
    for tokens in kiwi.tokenize(texts):
        yield morphemes.of(tokens)


def main() -> None:
    """Run as the child: texts on stdin (JSON lines), their morphemes on stdout (JSON lines)."""
    for morphemes in _analyse_here(sys.stdin):
        sys.stdout.write(json.dumps(morphemes, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
