"""`dailyai bench-model`: the shipped sample summarized by each model, through the real path."""

from __future__ import annotations

import json
import socket
from contextlib import closing
from pathlib import Path

import pytest

from cli import main
from core.bench_model import sample_papers
from tests.ollama_standin import OllamaStandin


def write_config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def config_file(tmp_path, ollama_standin) -> str:
    return write_config(tmp_path, f'[llm]\nhosts = ["{ollama_standin.url}"]\n')


def test_the_sample_is_fixed_and_every_paper_has_an_abstract():
    papers = sample_papers()
    assert len(papers) == 10 and len({p.id for p in papers}) == 10
    assert all(len(p.abstract) > 500 for p in papers)


def test_each_model_is_measured_and_a_missing_one_says_what_to_pull(
    config_file, ollama_standin, isolated_home, capsys
):
    ollama_standin.set_mode("invented_numbers", times=1, match="<abstract>")
    code = main(["--config", config_file, "bench-model", "gemma3:4b", "gemma3:12b"])
    out, err = capsys.readouterr()
    assert code == 1  # one model could not be measured
    assert "gemma3:4b on 10 of 10 sample abstracts (category and summary in one request)" in out
    assert "Korean gate, first try" in out and "9/10 (90%)" in out
    assert "invented numbers flagged" in out and "1 answer" in out
    assert "your digest (30 papers + " in out and "tokens/s" in out
    assert "gemma3:12b: model 'gemma3:12b' is not pulled — run `ollama pull gemma3:12b`" in out
    assert "[gemma3:4b 1/10] ok after 2 attempts" in err
    # Ten papers, each one request, one retry; the user's store was never opened.
    asked = [u for u in ollama_standin.usage_log if u.schema in ("combined", "summary")]
    assert [u.schema for u in asked].count("combined") == 10 and len(asked) == 11
    assert not (isolated_home / "data").exists()


def test_json_output_and_the_configured_model_by_default(config_file, ollama_standin, capsys):
    ollama_standin.set_mode("hanja", match="Continuous Latent Diffusion")
    assert main(["--config", config_file, "bench-model", "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["model"] == "gemma3:4b" and result["error"] == ""
    assert (result["papers"], result["first_try"], result["passed"], result["failed"]) == (
        10,
        9,
        9,
        1,
    )
    assert result["retries"] == 2 and result["first_try_rate"] == 0.9
    assert result["tokens_per_second"] > 0 and result["seconds_per_summary"] > 0
    assert result["prompt_tokens_per_paper"] > 300
    assert result["digest_seconds"] > 30 * result["seconds_per_summary"] * 0.99
    assert "Hanja" in result["reasons"][0] or "한자" in result["reasons"][0]


def test_summary_requests_alone_when_combined_is_off(tmp_path, ollama_standin, capsys):
    config = write_config(
        tmp_path,
        f'[llm]\nhosts = ["{ollama_standin.url}"]\n[classify]\ncombined = false\n',
    )
    assert main(["--config", config, "bench-model"]) == 0
    assert "(summary requests)" in capsys.readouterr().out
    assert {u.schema for u in ollama_standin.usage_log} <= {"summary", "other"}


def test_an_openai_compatible_server_is_measured_too(tmp_path, capsys):
    with OllamaStandin() as standin:
        config = write_config(
            tmp_path, f'[llm]\nbackend = "openai"\nhosts = ["{standin.url}/v1"]\n'
        )
        assert main(["--config", config, "bench-model"]) == 0
        assert all(r.path == "/v1/chat/completions" for r in standin.model_requests)
    assert "10/10 (100%)" in capsys.readouterr().out


def test_a_server_that_is_down_stops_with_what_to_do(tmp_path, capsys):
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = write_config(tmp_path, f'[llm]\nhosts = ["http://127.0.0.1:{port}"]\n')
    assert main(["--config", config, "bench-model", "gemma3:4b", "qwen3:4b"]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach Ollama at http://127.0.0.1:{port} — start it with `ollama serve`" in err
    assert err.count("cannot reach") == 1  # said once, not once per model
