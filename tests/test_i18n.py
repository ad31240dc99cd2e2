"""The Korean interface: every string the code marks has a Korean translation, the shipped
.mo matches the .po, the language follows [ui] language or the locale, and times are local."""

from __future__ import annotations

import gettext
import io
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core import i18n
from core.config import load_config
from core.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "core" / "locale" / "ko" / "LC_MESSAGES" / "dailyai.po"
MO = PO.with_suffix(".mo")


def extracted_messages() -> set[str | tuple[str, ...]]:
    """Every msgid the code marks now (_, ngettext, N_), extracted afresh as babel.cfg says."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[str | tuple[str, ...]] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def korean_catalog():
    with open(PO, "rb") as po:
        return read_po(po, locale="ko")


def missing_translations() -> list[str | tuple[str, ...]]:
    """The extracted msgids the Korean catalog lacks, or holds with an empty msgstr."""
    translated = set()
    for message in korean_catalog():
        if not message.id:
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if all(strings) and not message.fuzzy:
            translated.add(message.id if isinstance(message.id, str) else tuple(message.id))
    return sorted(extracted_messages() - translated, key=str)


def test_the_korean_catalog_translates_every_string():
    missing = missing_translations()
    assert not missing, (
        f"{len(missing)} strings lack Korean: run `python scripts/i18n.py`, translate them in "
        f"{PO.relative_to(ROOT)}, run it again. First: {missing[:5]}"
    )


def test_the_shipped_mo_is_compiled_from_the_po():
    compiled = io.BytesIO()
    write_mo(compiled, korean_catalog())
    fresh = gettext.GNUTranslations(io.BytesIO(compiled.getvalue()))
    with open(MO, "rb") as mo:
        shipped = gettext.GNUTranslations(mo)
    assert shipped._catalog == fresh._catalog, "run `python scripts/i18n.py` to compile the .mo"


PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def test_translations_keep_every_placeholder():
    """A translation that drops or renames {day} would fail at .format() in front of a user."""
    for message in korean_catalog():
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, (message.id, string)


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "ko_KR.UTF-8"}, "ko"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        ({"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),
        ({"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"),
    ],
)
def test_an_empty_setting_follows_the_locale(environ, language):
    assert i18n.resolve_language("", environ) == language


def test_the_setting_wins_over_the_locale():
    assert i18n.set_language("en", {"LANG": "ko_KR.UTF-8"}) == "en"
    assert i18n._("Search") == "Search"
    assert i18n.set_language("ko", {"LANG": "C"}) == "ko"
    assert i18n._("Search") == "검색"
    assert i18n.ngettext("{count} paper", "{count} papers", 3).format(count=3) == "논문 3편"
    assert i18n.step_name("summarize") == "요약" and i18n.status_name("failed") == "실패"


def test_the_language_setting_is_checked(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[ui]\nlanguage = "jp"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2: 'ui.language'.*\"ko\", \"en\""):
        load_config(path)
    path.write_text('[ui]\nlanguage = "ko"\n', encoding="utf-8")
    assert load_config(path).ui.language == "ko"


def test_times_are_local_to_the_configured_zone():
    now = datetime(2026, 5, 8, 12, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    assert i18n.local_time("2026-05-08T00:30:00+00:00", "Asia/Seoul", now=now) == "09:30"
    assert i18n.local_time("2026-05-07T00:30:00+00:00", "Asia/Seoul", now=now) == "2026-05-07 09:30"
    assert i18n.local_time("2026-05-08T00:30:00", "America/New_York", now=now) == "20:30"
    assert i18n.local_time(None, "Asia/Seoul") == ""
    assert i18n.local_time("not a time", "Asia/Seoul") == "not a time"


def test_the_command_line_speaks_the_configured_language(tmp_path, capsys):
    from cli import main

    path = tmp_path / "config.toml"
    path.write_text('[ui]\nlanguage = "ko"\n', encoding="utf-8")
    assert main(["--config", str(path), "search", "zzzunfindable"]) == 0
    assert "'zzzunfindable'와(과) 일치하는 저장된 논문이 없습니다." in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--config", str(path), "fetch", "--help"])
    assert "설정된 소스(또는 지정한 소스)를 저장소로 수집합니다" in capsys.readouterr().out
    path.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    assert main(["--config", str(path), "search", "zzzunfindable"]) == 0
    assert "No stored paper matches 'zzzunfindable'." in capsys.readouterr().out


def test_an_empty_setting_in_a_korean_locale_is_korean(tmp_path, capsys, monkeypatch):
    from cli import main

    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert main(["search", "zzzunfindable"]) == 0
    assert "일치하는 저장된 논문이 없습니다" in capsys.readouterr().out


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_core_errors_reach_the_command_line_in_korean(tmp_path, capsys):
    """Messages built in core (a bad --source, an unreachable Ollama) follow [ui] language."""
    from cli import main

    path = tmp_path / "config.toml"
    path.write_text(
        f'[ui]\nlanguage = "ko"\n[llm]\nhosts = ["http://127.0.0.1:{_closed_port()}"]\n',
        encoding="utf-8",
    )
    assert main(["--config", str(path), "fetch", "--source", "no-such-source"]) == 2
    err = capsys.readouterr().err
    assert "--source 'no-such-source'은(는) 설정된 소스(hf-daily, arxiv)도, URL도" in err
    assert "neither" not in err
    assert main(["--config", str(path), "bench-model"]) == 1
    err = capsys.readouterr().err
    assert "의 Ollama에 연결할 수 없습니다 — `ollama serve`로 시작하세요" in err
    assert "cannot reach" not in err


def test_a_config_error_is_said_in_the_language_the_config_asks_for(tmp_path, capsys):
    """A config that fails its checks still gives [ui] language for its own error."""
    from cli import main

    path = tmp_path / "config.toml"
    path.write_text('[ui]\nlanguage = "ko"\n\n[email]\nport = 99999\n', encoding="utf-8")
    assert main(["--config", str(path), "search", "x"]) == 2
    err = capsys.readouterr().err
    assert (
        f"{path} 5번째 줄: 'email.port' = 99999은(는) 범위를 벗어났습니다 — 허용 범위: "
        "1부터 65535까지의 정수" in err
    )
    path.write_text('[ui]\nlanguage = "ko"\n[emial]\nport = 1\n', encoding="utf-8")
    assert main(["--config", str(path), "search", "x"]) == 2
    assert "'emial'은(는) 알 수 없는 키입니다 — 'email'을(를) 뜻했나요?" in capsys.readouterr().err


def test_stored_reasons_stay_english_and_are_shown_in_the_interface_language(tmp_path, capsys):
    """What a fetch stores (a source's note) is English data, matched by the published
    wording; the CLI says it in the interface language."""
    from cli import main
    from core.channels.wording import interface_text, korean
    from core.store import Store
    from tests.conftest import fixture_path

    feed = fixture_path("arxiv_rss1_rdf_cs.LG_2021-11-01_written-after-format.xml")
    path = tmp_path / "config.toml"
    path.write_text('[ui]\nlanguage = "ko"\n', encoding="utf-8")
    assert (
        main(["--config", str(path), "fetch", "--source", str(feed), "--date", "2026-10-01"]) == 0
    )
    out = capsys.readouterr().out
    assert "이 피드는 2026-10-01이 아니라 2021-11-02의 arXiv 발표입니다" in out
    assert "the feed is" not in out
    config = load_config(path)
    with Store(config.dirs.database) as store:
        runs = store.runs(day=date(2026, 10, 1))
    reasons = " ".join(f"{run.note} {step.reason}" for run in runs for step in run.steps)
    assert "the feed is arXiv's announcement of 2021-11-02, not 2026-10-01" in reasons
    # A reason a Korean run stored in Korean (an error raised in Korean) is kept as it is.
    said = "http://127.0.0.1:9의 Ollama에 연결할 수 없습니다 — `ollama serve`로 시작하세요"
    assert korean(said) == said
    i18n.set_language("en")
    assert interface_text("every source failed: arxiv") == "every source failed: arxiv"
    i18n.set_language("ko")
    assert interface_text("every source failed: arxiv") == "모든 출처가 실패했습니다: arxiv"


def test_the_weekly_and_serve_commands_speak_korean(tmp_path, capsys):
    """A bad --week (core's error), a bad --port (argparse's own words) and the week's lines,
    each day's reason worded from its English form, follow [ui] language."""
    from cli import main

    path = tmp_path / "config.toml"
    path.write_text('[ui]\nlanguage = "ko"\n', encoding="utf-8")
    assert main(["--config", str(path), "report", "--week", "2026-W99"]) == 2
    err = capsys.readouterr().err
    assert "--week 2026-W99: 2026년에는 ISO 주가 53개 있습니다 — 2026-W01부터 2026-W53까지" in err
    with pytest.raises(SystemExit):
        main(["--config", str(path), "serve", "--port", "99999"])
    err = capsys.readouterr().err
    assert "사용법: dailyai serve" in err
    assert "오류: 인자 --port: 99999은(는) 범위를 벗어났습니다 — 0에서 65535 사이로" in err
    assert "usage:" not in err and "error:" not in err
    assert main(["--config", str(path), "report", "--week", "2026-W40"]) == 0
    out = capsys.readouterr().out
    assert "2026-W40: 0일에 걸쳐 논문 0편; 주간 보고서: 새로 씀 0" in out
    assert "2026-09-28 (빠짐): 수집하지 않은 날입니다 (dailyai run --date 2026-09-28)" in out
    assert "2026-10-04 (비어 있음): 주말 — arXiv는 토·일요일에 새 논문을 발표하지 않습니다" in out
    assert "Wrote" not in out and "weekend" not in out
    path.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    assert main(["--config", str(path), "report", "--week", "2026-W40"]) == 0
    out = capsys.readouterr().out
    assert "2026-09-28 (missing): not fetched (dailyai run --date 2026-09-28)" in out
    assert "2026-10-04 (empty): weekend — arXiv announces nothing on Saturdays and Sundays" in out
