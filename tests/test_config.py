"""config.toml: the shipped defaults, user overlays, and one-line errors naming key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import default_config_text, load_config
from core.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_config_is_the_one_installed():
    assert default_config_text() == (ROOT / "config.toml").read_text(encoding="utf-8")


def test_every_default_key_is_documented_by_a_comment():
    """Each key has a comment above it (keys may share one); list-of-table keys are
    documented in the comment above their first table."""
    lines = (ROOT / "config.toml").read_text(encoding="utf-8").splitlines()
    in_array_table = False
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            in_array_table = stripped.startswith("[[")
            continue
        if "=" not in stripped or stripped.startswith("#") or in_array_table:
            continue
        above = lines[number - 1].strip()
        assert above.startswith("#") or ("=" in above and not above.startswith("[")), (
            f"config.toml line {number + 1}: {stripped.split('=')[0].strip()!r} is not documented"
        )


def test_defaults(config):
    assert [s.name for s in config.sources] == ["hf-daily", "arxiv"]
    names = [c.name for c in config.taxonomy.categories]
    for required in (
        "Computer Vision", "Multimodal", "LLM", "Natural Language Processing",
        "Model training technique", "Reinforcement Learning", "Inference acceleration",
        "Audio & Speech", "Robotics", "AI Safety & Ethics", "Other",
    ):  # fmt: skip
        assert required in names
    assert config.fetch.seen_window_days == 7
    assert config.fetch.announce_types == ["new", "cross"]
    assert config.serve.host == "127.0.0.1"
    assert config.path is None


def test_a_user_file_overlays_the_defaults(tmp_path):
    path = write(tmp_path, '[fetch]\nseen_window_days = 30\n\n[ollama]\nmodel = "qwen3:4b"\n')
    config = load_config(path)
    assert config.fetch.seen_window_days == 30
    assert config.fetch.retries == 3  # untouched keys keep their defaults
    assert config.ollama.model == "qwen3:4b"
    assert config.path == path


def test_the_user_file_is_found_in_dailyai_home(isolated_home):
    (isolated_home / "config").mkdir(parents=True)
    (isolated_home / "config" / "config.toml").write_text("[digest]\nsize = 5\n")
    assert load_config().digest.size == 5


def test_dailyai_config_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv("DAILYAI_CONFIG", str(write(tmp_path, "[digest]\nsize = 9\n")))
    assert load_config().digest.size == 9


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[fetch]\ntimeout_seconds = 10\nseen_widow_days = 3\n",
            "line 3: 'fetch.seen_widow_days' unknown key — did you mean 'seen_window_days'?",
        ),
        ("[fecth]\nretries = 1\n", "line 1: 'fecth' unknown key — did you mean 'fetch'?"),
        (
            '[fetch]\nretries = "three"\n',
            "line 2: 'fetch.retries' must be an integer, not the string 'three'",
        ),
        (
            '[digest]\ninterest_keywords = "llm"\n',
            "line 2: 'digest.interest_keywords' must be a list",
        ),
        (
            '[[sources]]\nname = "a"\nurl = "https://x"\n\n[[sources]]\nname = "b"\nkidn = "feed"\n',
            "line 7: 'sources[2].kidn' unknown key — did you mean 'kind'?",
        ),
        (
            '[[sources]]\nname = "a"\nurl = "https://x"\nkind = "rss"\n',
            "line 4: 'sources[1].kind' must be one of",
        ),
        ('[[sources]]\nurl = "https://x"\n', "'sources[1].name' is required"),
        (
            '[email]\npassword = "hunter2"\n',
            "line 2: 'email.password' secrets never go in config.toml",
        ),
        (
            '[general]\ntimezone = "Mars/Olympus"\n',
            "line 2: 'general.timezone' 'Mars/Olympus' is not a known time zone",
        ),
        ("[fetch\nretries = 1\n", "not valid TOML"),
        (
            '[taxonomy]\nfallback = "Misc"\n',
            "'taxonomy.fallback' 'Misc' is not one of the categories",
        ),
    ],
)
def test_mistakes_are_one_line_errors_with_key_and_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert message in str(error.value)
    assert str(error.value).startswith(str(path))
    assert "\n" not in str(error.value)


def test_a_missing_config_path_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml")


def test_arxiv_source_from_categories(tmp_path):
    config = load_config(
        write(tmp_path, '[[sources]]\nname = "ro"\nkind = "arxiv-rss"\ncategories = ["cs.RO"]\n')
    )
    assert config.sources[0].resolved_url() == "https://rss.arxiv.org/rss/cs.RO"


# --- numbers out of range -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[digest]\nsize = -5\n", "line 2: 'digest.size' = -5 is out of range — use a whole number from 1 to 1000"),
        ("[fetch]\nretries = -3\n", "line 2: 'fetch.retries' = -3 is out of range — use a whole number from 0 to 20"),
        ("[fetch]\ntimeout_seconds = -1\n", "'fetch.timeout_seconds' = -1 is out of range — use a number more than 0"),
        ("[fetch]\ntimeout_seconds = 0\n", "'fetch.timeout_seconds' = 0 is out of range"),
        ("[fetch]\nhf_max_pages = 0\n", "line 2: 'fetch.hf_max_pages' = 0 is out of range"),
        ("[fetch]\nseen_window_days = 99999999\n", "'fetch.seen_window_days' = 99999999 is out of range"),
        ("[output]\nfeed_days = 0\n", "'output.feed_days' = 0 is out of range"),
        ("[serve]\nport = 99999\n", "'serve.port' = 99999 is out of range — use a whole number from 1 to 65535"),
        ("[email]\nport = 0\n", "'email.port' = 0 is out of range"),
        ("[ollama]\nparallel = 0\n", "'ollama.parallel' = 0 is out of range"),
        ("[summaries]\nmin_hangul_ratio = 1.5\n", "'summaries.min_hangul_ratio' = 1.5 is out of range — use a number from 0 to 1"),
        ("[summaries]\nmin_hangul_ratio = nan\n", "'summaries.min_hangul_ratio' = nan is out of range"),
        ("[ollama]\ntimeout_seconds = inf\n", "'ollama.timeout_seconds' = inf is out of range"),
        (
            '[[taxonomy.categories]]\nname = "Other"\nemoji = "x"\ndescription = "d"\npriority = 1000\n',
            "line 5: 'taxonomy.categories[1].priority' = 1000 is out of range",
        ),
    ],
)  # fmt: skip
def test_numbers_out_of_range_name_key_line_and_range(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_the_bounds_themselves_are_accepted(tmp_path):
    config = load_config(
        write(tmp_path, "[digest]\nsize = 1\n[fetch]\nretries = 0\n[serve]\nport = 65535\n")
    )
    assert (config.digest.size, config.fetch.retries, config.serve.port) == (1, 0, 65535)


def numeric_fields(cls: type, prefix: str = "") -> list[tuple[str, object]]:
    """Every int or float field of the config dataclasses, by dotted name, with its metadata."""
    import dataclasses
    import typing

    found = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        inner = typing.get_args(hint)[0] if typing.get_origin(hint) is list else hint
        if dataclasses.is_dataclass(inner):
            found += numeric_fields(inner, f"{prefix}{f.name}.")
        elif inner in (int, float):
            found.append((f"{prefix}{f.name}", f.metadata.get("range")))
    return found


def test_every_numeric_key_declares_its_range():
    """A new number in config.toml must say what it accepts: `ranged(low, high)`."""
    from core.config import Config

    fields_ = numeric_fields(Config)
    assert len(fields_) > 25
    missing = [name for name, bounds in fields_ if bounds is None]
    assert not missing, f"declare a range with ranged(…) for: {missing}"


# --- the file itself ------------------------------------------------------------------------


def test_a_config_that_is_not_utf8_names_the_byte(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'[output]\ntitle = "Caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 0xe9 at offset 21\)"):
        load_config(path)
    path.write_bytes(b'\xef\xbb\xbf[output]\ntitle = "Caf\xe9"\n')  # offsets count the BOM
    with pytest.raises(ConfigError, match=r"byte 0xe9 at offset 24\)"):
        load_config(path)


def test_a_config_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf[digest]\nsize = 7\n")
    assert load_config(path).digest.size == 7


@pytest.mark.parametrize("given", ["{dir}", ""])
def test_a_config_path_that_is_a_folder_is_one_line(tmp_path, given):
    with pytest.raises(ConfigError, match="is a directory — give the path of a file"):
        load_config(given.format(dir=tmp_path))


def test_a_config_larger_than_any_config_is_refused_unread(tmp_path):
    """What stops `--config /dev/zero` from filling memory (a file here, so a broken cap
    fails this test instead of the machine)."""
    from core.config import MAX_CONFIG_BYTES

    path = tmp_path / "huge.toml"
    path.write_bytes(b"#" * (MAX_CONFIG_BYTES + 1))
    with pytest.raises(ConfigError, match="larger than 1 MB — is this the right file"):
        load_config(path)
