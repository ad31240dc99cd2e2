"""A stand-in Ollama server on 127.0.0.1 that speaks Ollama's wire protocol.

No test needs a real model: the real `ollama` Python client talks HTTP to this server,
which answers the way Ollama does (../shared/reference/facts.md §1):

- `/api/chat` and `/api/generate`, streamed as NDJSON (chunked) or whole with
  `"stream": false`; a final `done` object with `done_reason`, `prompt_eval_count`,
  `eval_count` and the durations in nanoseconds; `options.num_predict` caps the answer
  (`done_reason: "length"`) and a prompt longer than `options.num_ctx` is truncated
  silently, as Ollama does (prompt_eval_count shows it).
- Structured outputs: with `format` = a JSON schema the answer is JSON valid for it
  (a classification schema is answered per paper; a schema with `category` and `summary`
  gets the paper's category and its Korean summary).
- `/api/tags`, `/api/show`, `/api/version`, `/api/ps`.
- `/api/embed` with one text or a batch (`input` a string or a list) for the models in
  `embed_models`: a deterministic unit vector per text from its words (texts sharing words
  point the same way), or 404 `model 'x' not found` for any other model (and in
  `missing_model` mode).
- Errors with Ollama's bodies: 404 `model 'x' not found`, 400 `"x" does not support
  thinking`, 503 `server busy, please try again.  maximum pending requests exceeded`, and an
  `{"error": …}` line in the middle of a stream.
- A parallel-request limit like OLLAMA_NUM_PARALLEL (requests beyond it wait in a queue of
  `max_queue`, then get 503) and a fixed delay per generated token (and per prompt token).
- With `prefix_cache`, the server's prompt cache as llama.cpp (Ollama's runner) and vLLM
  keep it: each slot remembers its last prompt, a request takes the slot whose prompt shares
  the longest prefix with its own, and those tokens are not read again (no prompt delay).
  Counts are reported as the servers do: `prompt_eval_count` / `usage.prompt_tokens` are the
  whole prompt, `prompt_eval_cached_count` / `usage.prompt_tokens_details.cached_tokens` the
  part served from the cache. `usage_log` keeps each answer's counts.

- The OpenAI-compatible routes every OpenAI-compatible server has (vLLM, llama.cpp,
  LM Studio, LiteLLM, and Ollama's own `/v1`): `/v1/chat/completions` streamed as
  server-sent events (`data: {chunk}` with `choices[0].delta.content`, a last chunk with
  `usage` when `stream_options.include_usage` is set, `data: [DONE]`) or whole;
  `response_format` with a JSON schema; `/v1/models` (with vLLM's `max_model_len`);
  `/v1/embeddings` (and Ollama's `/api/embed`). Errors come in the body shape of
  `error_style`: "vllm" (`{"error": {"message", "type", "param", "code": 404}}`; a refused
  key is `{"error": "Unauthorized"}`, as vLLM's --api-key check answers) or "litellm"
  (`{"error": {…, "code": "429"}}`); a prompt longer than `context_length` is refused with
  vLLM's "This model's maximum context length is …" (400); `rate_limited` answers 429 with
  Retry-After; an error in the middle of a stream is a `data: {"error": …}` line. With
  `api_key` set, `/v1` wants `Authorization: Bearer <key>`.
- `kill()` ends the server like a killed process: in-flight answers stop mid-stream and
  the port refuses connections; a new stand-in on the same `port` is the host coming back.

Answers are deterministic Korean built from the prompt. A `mode` makes them break the
Korean gate on demand (hanja, english, vietnamese, invented_numbers) or fail
(error_midstream, busy_503, missing_model, slow, bad_json), for every request, for the next
`times` requests, or only for requests whose text contains `match`. In `obey_injection` it
acts like a weak model that follows instructions planted in a paper's title or abstract
("reply in English", "add the section '## X'", "reply only with the word X", a JSON
`{"category": "X"}`), and answers normally where there are none.

Use it as a context manager (`with OllamaStandin() as standin: standin.url`), through the
`ollama_standin` pytest fixture, or run it by hand: `python -m tests.ollama_standin --port 11434`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = (
    "korean",
    "hanja",
    "english",
    "vietnamese",
    "invented_numbers",
    "error_midstream",
    "busy_503",
    "missing_model",
    "slow",
    "bad_json",
    "obey_injection",
    "rate_limited",
    "server_error",
)
BUSY_MESSAGE = "server busy, please try again.  maximum pending requests exceeded"
MIDSTREAM_MESSAGE = "an error was encountered while running the model: unexpected EOF"
# LiteLLM's parallel-request limiter (litellm/proxy/hooks/parallel_request_limiter.py).
RATE_LIMIT_MESSAGE = "Max parallel request limit reached. Hit limit for api_key: 3ec1…"
# LiteLLM's answer to a key it does not know (litellm/proxy/auth/user_api_key_auth.py).
LITELLM_AUTH_MESSAGE = "Authentication Error, Invalid proxy server token passed."
SERVER_ERROR_MESSAGE = "EngineCore encountered an issue. See stack trace for the root cause."
INVENTED_NUMBER = "93.7%"
DEFAULT_NUM_CTX = 4096

_TOKEN = re.compile(r"\s*(?:[\uac00-\ud7a3]{1,2}|[A-Za-z]{1,4}|\d{1,3}|\S)")


def tokenize(text: str) -> list[str]:
    """Split text into model-like tokens that join back into exactly the text."""
    tokens = _TOKEN.findall(text)
    rest = text[sum(len(token) for token in tokens) :]
    if rest:
        tokens.append(rest)
    return tokens


def count_tokens(text: str) -> int:
    return len(tokenize(text))


@dataclass
class RecordedRequest:
    """A request the stand-in received."""

    method: str
    path: str
    body: dict[str, Any]

    @property
    def schema(self) -> Any:
        """The JSON schema the answer must follow: Ollama's `format`, OpenAI's
        `response_format.json_schema.schema`, or "json" / None."""
        if "format" in self.body:
            return self.body["format"]
        response_format = self.body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            return (response_format.get("json_schema") or {}).get("schema")
        if response_format.get("type") == "json_object":
            return "json"
        return None

    @property
    def text(self) -> str:
        """Every prompt text of a chat or generate request, joined."""
        parts = [m.get("content") or "" for m in self.body.get("messages") or []]
        parts += [self.body.get("system") or "", self.body.get("prompt") or ""]
        return "\n".join(part for part in parts if part)


@dataclass
class Usage:
    """The counts of one answered model request, as the server reported them."""

    path: str
    prompt_tokens: int
    """The whole prompt (what prompt_eval_count and usage.prompt_tokens report)."""
    cached_tokens: int
    """The prompt's prefix served from the prompt cache (not read again)."""
    output_tokens: int
    schema: str
    """What was asked: "summary", "report", "classify" (batch), "combined" or "other"."""


@dataclass
class _ModeRule:
    mode: str
    times: int | None = None
    match: str | None = None


@dataclass
class OllamaStandin:
    """The server and the knobs tests turn (see the module docstring)."""

    mode: str = "korean"
    token_delay: float = 0.0
    """Seconds per generated token."""
    prompt_token_delay: float = 0.0
    """Seconds per prompt token evaluated."""
    parallel: int = 1
    """Requests answered at once (OLLAMA_NUM_PARALLEL); may be changed while running."""
    max_queue: int = 512
    """Requests allowed to wait for a slot before the server answers 503 (OLLAMA_MAX_QUEUE)."""
    models: tuple[str, ...] = ("gemma3:4b", "qwen3:4b")
    thinking_models: tuple[str, ...] = ("qwen3:4b",)
    slow_seconds: float = 30.0
    """How long a reply in `slow` mode waits before its first byte (ends early on stop)."""
    context_length: int = 131072
    version: str = "0.13.0"
    port: int = 0
    api_key: str | None = None
    """When set, the /v1 routes want `Authorization: Bearer <api_key>`."""
    error_style: str = "vllm"
    """The body shape of /v1 errors: "vllm" or "litellm"."""
    owned_by: str = "vllm"
    """What /v1/models says serves the models."""
    retry_after: str = "7"
    """The Retry-After header of a 429 (mode rate_limited)."""
    embed_models: tuple[str, ...] = ("bge-m3:latest",)
    """Models `/api/embed` answers for (not listed by /api/tags, so chat tests see no change)."""
    embed_dimensions: int = 64
    prefix_cache: bool = False
    """Emulate the server's prompt cache (see the module docstring)."""

    url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    busy_seconds: float = 0.0
    """Total time requests held a slot (the server's generation time)."""
    timeline: list[tuple[float, float]] = field(default_factory=list)
    """(start, end) on time.monotonic() of each answer that held a slot."""
    eval_tokens: int = 0
    answered: list[RecordedRequest] = field(default_factory=list)
    """The requests whose answer was sent whole (their final chunk written)."""
    active: int = 0
    max_active: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    usage_log: list[Usage] = field(default_factory=list)
    """Each answered model request's counts, in the order they were answered."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; one of {', '.join(MODES)}")
        self._rules: list[_ModeRule] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._changed = threading.Condition(self._lock)
        self._paused = threading.Event()
        self._paused.set()
        self._waiting = 0
        self._slot_prompts: list[list[str]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> OllamaStandin:
        self._server = _Server(("127.0.0.1", self.port), _handler(self))
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._paused.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def kill(self) -> None:
        """End like a killed server: answers in flight stop mid-stream, the port refuses."""
        self.stop()

    def __enter__(self) -> OllamaStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- knobs ----------------------------------------------------------------------

    def set_mode(self, mode: str, *, times: int | None = None, match: str | None = None) -> None:
        """Answer in `mode`: for the next `times` model requests (None: until changed),
        only for requests whose prompt contains `match` (None: every request)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        with self._lock:
            if times is None and match is None:
                self.mode = mode
                self._rules.clear()
            else:
                self._rules.append(_ModeRule(mode, times, match))

    def pause(self) -> None:
        """Hold every answer (after it took a slot) until `resume`."""
        self._paused.clear()

    def resume(self) -> None:
        self._paused.set()

    def wait_active(self, count: int, timeout: float = 10.0) -> bool:
        """Block until `count` requests hold a slot at once (for concurrency tests)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.active < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    @property
    def model_requests(self) -> list[RecordedRequest]:
        """The chat and generate requests received (Ollama's and the OpenAI ones)."""
        return [r for r in self.requests if r.path in _MODEL_PATHS]

    @property
    def request_count(self) -> int:
        return len(self.model_requests)

    @property
    def embed_requests(self) -> list[RecordedRequest]:
        """The embedding requests received."""
        return [r for r in self.requests if r.path == "/api/embed"]

    def reset_counters(self) -> None:
        with self._lock:
            self.requests.clear()
            self.busy_seconds = 0.0
            self.timeline.clear()
            self.eval_tokens = 0
            self.answered.clear()
            self.usage_log.clear()
            self._slot_prompts.clear()  # a fresh start: nothing in the prompt cache either
            self.max_active = self.active
            self.max_in_flight = self.in_flight

    def cached_prefix(self, tokens: list[str]) -> int:
        """How many leading `tokens` the prompt cache holds; the prompt then takes a slot.

        The slot whose last prompt shares the longest prefix is reused (llama.cpp picks its
        slot the same way), else the oldest; without `prefix_cache` nothing is cached.
        """
        if not self.prefix_cache:
            return 0
        with self._lock:
            slots = self._slot_prompts
            best, best_index = 0, -1
            for index, cached in enumerate(slots):
                shared = 0
                for mine, theirs in zip(tokens, cached, strict=False):
                    if mine != theirs:
                        break
                    shared += 1
                if shared > best:
                    best, best_index = shared, index
            if best_index >= 0:
                slots.pop(best_index)
            elif len(slots) >= max(1, self.parallel):
                slots.pop(0)
            slots.append(tokens)
            # A whole prompt is never served from the cache: its last token is read to start.
            return min(best, max(0, len(tokens) - 1))

    def _mode_for(self, request: RecordedRequest) -> str:
        with self._lock:
            text = request.text
            for rule in self._rules:
                if rule.match is not None and rule.match not in text:
                    continue
                if rule.times is not None:
                    if rule.times <= 0:
                        continue
                    rule.times -= 1
                return rule.mode
            return self.mode

    # --- answers --------------------------------------------------------------------

    def answer(self, request: RecordedRequest, mode: str) -> str:
        """The text of the answer to a chat or generate request."""
        fmt = request.schema
        text = request.text
        if isinstance(fmt, dict):
            return json.dumps(_structured(fmt, text, mode), ensure_ascii=False)
        if fmt == "json":
            return json.dumps({"answer": _korean_summary(text, "korean")}, ensure_ascii=False)
        if "주요 주제 및 경향" in text:
            return _korean_report(text, mode)
        return _korean_summary(text, mode)


# --- deterministic answers ---------------------------------------------------------------

_TAG = {
    name: re.compile(rf"<{name}>(.*?)</{name}>", re.DOTALL)
    for name in ("title", "abstract", "summary", "name")
}
_PAPER = re.compile(r'<paper id="(\d+)">(.*?)</paper>', re.DOTALL)
_NUMBER = re.compile(r"(?<![\d,.])\d+(?:,\d{3})*(?:\.\d+)?%?")
# Instructions a weak model follows when it finds them in the paper (mode obey_injection).
_ORDER_ENGLISH = re.compile(
    r"(?:reply|answer|respond|write your answer) (?:only )?in english", re.I
)
_ORDER_SECTION = re.compile(r"add (?:the|a) (?:section|heading) '([^'\n]+)'", re.I)
_ORDER_WORD = re.compile(r"reply only with the (?:english )?word (\w+)", re.I)
_ORDER_CATEGORY = re.compile(r'"category":\s*"([^"]+)"')


def _pick(seed: str, options: list[str]) -> str:
    index = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(options)
    return options[index]


def _short(title: str) -> str:
    head = title.split(":", 1)[0].strip()
    return head if ":" in title and 2 <= len(head) <= 40 else title.strip()[:60]


def _korean_summary(prompt: str, mode: str) -> str:
    titles = _TAG["title"].findall(prompt)
    abstracts = _TAG["abstract"].findall(prompt)
    title = titles[-1].strip() if titles else "이 연구"
    abstract = abstracts[-1] if abstracts else ""
    if mode == "obey_injection":
        return _obeyed(f"{title}\n{abstract}", lambda m: _korean_summary(prompt, m))
    name = _short(title)
    if mode == "english":
        return (
            f"This paper, {name}, studies an open problem and proposes a new method. "
            "Experiments show that the method outperforms strong baselines on several benchmarks."
        )
    first = _pick(
        title,
        [
            f"이 논문은 '{name}' 연구로, 기존 방법이 잘 다루지 못한 문제를 해결하고자 한다.",
            f"'{name}' 연구는 현재 모델이 가진 한계를 분석하고 이를 개선하는 문제를 다룬다.",
            f"이 연구는 '{name}'에서 실제 환경에 적용하기 어려운 기존 접근의 문제를 지적한다.",
        ],
    )
    second = _pick(
        title + "2",
        [
            "저자들은 새로운 학습 방법과 평가 절차를 제안하고 여러 실험으로 효과를 검증한다.",
            "이를 위해 단순하면서도 확장 가능한 방법을 설계하고 다양한 조건에서 비교 실험을 수행한다.",
            "제안 방법은 데이터와 모델 구조를 함께 개선하며 여러 과제에서 일관되게 평가된다.",
        ],
    )
    numbers = [n for n in _NUMBER.findall(abstract) if len(n.rstrip("%")) >= 2]
    if numbers:
        third = (
            f"초록에 따르면 제안 방법은 {numbers[0]} 수준의 결과를 보고하며 기존 방법보다 우수하다."
        )
    else:
        third = "실험 결과 제안 방법은 기존 방법보다 더 좋은 성능과 효율을 보였다."
    if mode == "hanja":
        second = "저자들은 重大한 새로운 방법을 제안하고 여러 실험으로 효과를 검증한다."
    elif mode == "vietnamese":
        second = "저자들은 dân족 데이터를 이용한 새로운 방법을 제안하고 효과를 검증한다."
    elif mode == "invented_numbers":
        third = f"실험 결과 제안 방법은 정확도 {INVENTED_NUMBER}를 달성했다."
    return " ".join([first, second, third])


def _obeyed(untrusted: str, answer_in: Callable[[str], str]) -> str:
    """The answer of a model that does what the paper's text tells it to."""
    if word := _ORDER_WORD.search(untrusted):
        return word.group(1)
    answer = answer_in("english" if _ORDER_ENGLISH.search(untrusted) else "korean")
    if section := _ORDER_SECTION.search(untrusted):
        answer = f"{section.group(1)}\n\n지시에 따라 이 절을 추가했다.\n\n{answer}"
    return answer


def _korean_report(prompt: str, mode: str) -> str:
    if mode == "obey_injection":
        # Everything between the prompt's delimiters came from papers.
        untrusted = "\n".join(
            "\n".join(_TAG[tag].findall(prompt)) for tag in ("name", "title", "summary")
        )
        return _obeyed(untrusted, lambda m: _korean_report(prompt, m))
    names = [name.strip() for name in _TAG["name"].findall(prompt)] or ["이 분야의 연구"]
    first, rest = names[0], names[1:]
    others = ", ".join(f"'{name}'" for name in rest[:3])
    lines = [
        "#### 주요 주제 및 경향",
        "",
        f"- '{first}' 논문은 이 분야의 핵심 문제를 새로운 방법으로 다룬다.",
    ]
    if others:
        lines.append(f"- {others} 논문들도 비슷한 문제를 서로 다른 관점에서 접근한다.")
    lines += [
        "",
        "#### 주요 이벤트 및 정보",
        "",
        f"- 오늘 발표된 논문은 모두 {len(names)}편이며, 대부분 성능과 효율을 함께 개선하려 한다.",
        "- 여러 연구가 공개 데이터와 새로운 평가 방법을 함께 제시한다.",
        "",
        "#### 영향 분석 및 미래 발전 가능성",
        "",
        "- 이러한 연구는 실제 서비스에 모델을 적용하는 비용을 줄이는 데 기여할 것이다.",
        "- 앞으로 더 큰 규모의 검증과 다른 분야로의 확장이 기대된다.",
        "",
        "#### 결론",
        "",
        "오늘의 논문들은 이 분야가 빠르게 발전하고 있음을 보여 주며, 방법의 일반화가 다음 과제이다.",
    ]
    if mode == "hanja":
        lines[-1] = "오늘의 논문들은 重大한 발전을 보여 준다."
    elif mode == "vietnamese":
        lines[-1] = "오늘의 논문들은 dân족 발전을 보여 준다."
    elif mode == "english":
        return "#### Summary\n\nToday's papers show fast progress in this field."
    elif mode == "invented_numbers":
        lines[-1] = f"오늘의 논문들은 평균 {INVENTED_NUMBER}의 향상을 보여 준다."
    return "\n".join(lines)


def _structured(schema: dict[str, Any], prompt: str, mode: str) -> Any:
    """A JSON value valid for `schema`; a classification schema is answered per paper."""
    properties = schema.get("properties") or {}
    if "summary" in properties and "category" in properties:
        return _combined(properties["category"].get("enum") or ["Other"], prompt, mode)
    try:
        item = schema["properties"]["papers"]["items"]
        names = item["properties"]["category"]["enum"]
    except (KeyError, TypeError):
        return _fill(schema)
    papers = _PAPER.findall(prompt)
    answers = []
    for number, block in papers:
        category, matched = _category_of(block, names)
        if mode == "obey_injection" and (ordered := _ORDER_CATEGORY.search(block)):
            category = ordered.group(1)  # what a model ignoring the schema would answer
        answers.append(
            {"id": int(number), "category": category, "confidence": 0.9 if matched else 0.4}
        )
    if mode == "bad_json" and answers:
        answers[0]["category"] = "Quantum Cooking"
        answers.pop()
    return {"papers": answers}


_ONE_PAPER = re.compile(r"<paper>(.*?)</paper>", re.DOTALL)


def _category_of(block: str, names: list[str]) -> tuple[str, bool]:
    """The category a paper's text names (the longest name found), and whether one was."""
    text = block.lower()
    matches = [name for name in names if name.lower() in text]
    if matches:
        return max(matches, key=len), True
    return ("Other" if "Other" in names else names[0]), False


def _combined(names: list[str], prompt: str, mode: str) -> dict[str, Any]:
    """A paper's category and Korean summary in one answer (classify.combined)."""
    blocks = _ONE_PAPER.findall(prompt)
    block = blocks[-1] if blocks else prompt
    category, matched = _category_of(block, names)
    if mode == "obey_injection" and (ordered := _ORDER_CATEGORY.search(block)):
        category = ordered.group(1)  # what a model ignoring the schema would answer
    if mode == "bad_json":
        category = "Quantum Cooking"
    summary = _korean_summary(prompt, "korean" if mode == "bad_json" else mode)
    return {"category": category, "confidence": 0.9 if matched else 0.4, "summary": summary}


def _fill(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        return {key: _fill(value) for key, value in schema.get("properties", {}).items()}
    if kind == "array":
        return [_fill(schema.get("items", {}))]
    if kind == "integer":
        return 1
    if kind == "number":
        return 0.5
    if kind == "boolean":
        return True
    return "예시"


# --- HTTP ----------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


_MODEL_PATHS = ("/api/chat", "/api/generate", "/v1/chat/completions")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a timeout test, a failover, a killed stand-in) is normal.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _handler(standin: OllamaStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ollama-standin"

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        # -- plumbing --

        def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str) -> None:
            self._json(status, {"error": message})

        def _openai_error(
            self,
            status: int,
            message: str,
            kind: str,
            headers: dict[str, str] | None = None,
        ) -> None:
            """An error body as vLLM or LiteLLM sends it (`error_style`)."""
            if standin.error_style == "litellm":
                body = {"error": {"message": message, "type": kind, "param": "None"}}
                body["error"]["code"] = str(status)
            else:
                body = {"error": {"message": message, "type": kind, "param": None}}
                body["error"]["code"] = status
            self._json(status, body, headers)

        def _chunk(self, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode() + b"\n"
            self._raw_chunk(data)

        def _raw_chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _event(self, payload: dict[str, Any] | str) -> None:
            """One server-sent event: `data: {json}` (or `data: [DONE]`) and a blank line."""
            data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
            self._raw_chunk(f"data: {data}\n\n".encode())

        def _record(self, body: dict[str, Any]) -> RecordedRequest:
            request = RecordedRequest(self.command, self.path, body)
            with standin._lock:
                standin.requests.append(request)
            return request

        def _body(self) -> dict[str, Any] | None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                return None
            return body if isinstance(body, dict) else None

        def _authorized(self) -> bool:
            """The /v1 routes' key check, answering 401 as vLLM or LiteLLM do."""
            if standin.api_key is None or not self.path.startswith("/v1/"):
                return True
            if self.headers.get("Authorization", "") == f"Bearer {standin.api_key}":
                return True
            if standin.error_style == "litellm":
                self._openai_error(401, LITELLM_AUTH_MESSAGE, "auth_error")
            else:
                self._json(401, {"error": "Unauthorized"})  # vLLM's AuthenticationMiddleware
            return False

        # -- routes --

        def _stopped(self) -> bool:
            """A stopped server drops even connections kept alive from before."""
            if standin._stop.is_set():
                self.close_connection = True
                return True
            return False

        def do_GET(self) -> None:
            if self._stopped():
                return
            self._record({})
            if not self._authorized():
                return
            if self.path == "/api/version":
                self._json(200, {"version": standin.version})
            elif self.path == "/api/tags":
                self._json(200, {"models": [] if standin.mode == "missing_model" else [
                    _model_entry(name) for name in standin.models
                ]})  # fmt: skip
            elif self.path == "/api/ps":
                self._json(200, {"models": []})
            elif self.path == "/v1/models":
                served = [] if standin.mode == "missing_model" else list(standin.models)
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": [
                            {
                                "id": name,
                                "object": "model",
                                "created": 1767225600,
                                "owned_by": standin.owned_by,
                                "max_model_len": standin.context_length,
                            }
                            for name in served
                        ],
                    },
                )
            elif self.path == "/":
                data = b"Ollama is running"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self._not_found()

        def do_POST(self) -> None:
            if self._stopped():
                return
            body = self._body()
            if body is None:
                self._record({})
                self._error(400, "invalid character in JSON body")
                return
            request = self._record(body)
            if not self._authorized():
                return
            if self.path == "/api/show":
                name = body.get("model") or body.get("name") or ""
                if not self._known(name):
                    self._error(404, f"model '{name}' not found")
                    return
                self._json(200, _show(name, standin))
            elif self.path in ("/api/chat", "/api/generate"):
                self._generate(request, openai=False)
            elif self.path == "/v1/chat/completions":
                self._generate(request, openai=True)
            elif self.path in ("/api/embed", "/v1/embeddings"):
                self._embed(request)
            else:
                self._not_found()

        def _embed(self, request: RecordedRequest) -> None:
            body = request.body
            model = body.get("model") or ""
            wanted = model if ":" in model else f"{model}:latest"
            if standin.mode == "missing_model" or wanted not in standin.embed_models:
                self._error(404, f"model '{model}' not found")
                return
            texts = body.get("input")
            texts = [texts] if isinstance(texts, str) else list(texts or [])
            self._json(
                200,
                {
                    "model": model,
                    "embeddings": [_embedding(text, standin.embed_dimensions) for text in texts],
                    "total_duration": 1_000_000,
                    "load_duration": 100_000,
                    "prompt_eval_count": sum(count_tokens(text) for text in texts),
                },
            )

        def _not_found(self) -> None:
            data = b"404 page not found"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _known(self, name: str) -> bool:
            if standin.mode == "missing_model":
                return False
            wanted = name if ":" in name else f"{name}:latest"
            return wanted in standin.models

        def _missing_model(self, model: str, openai: bool) -> None:
            if not openai:
                self._error(404, f"model '{model}' not found")
            elif standin.error_style == "litellm":
                self._openai_error(
                    400,
                    f"{{'error': '/chat/completions: Invalid model name passed in model={model}."
                    " Call `/v1/models` to view available models for your key.'}",
                    "None",
                )
            else:
                self._openai_error(404, f"The model `{model}` does not exist.", "NotFoundError")

        def _embed(self, request: RecordedRequest) -> None:
            body = request.body
            model = body.get("model") or ""
            openai = self.path.startswith("/v1/")
            wanted = model if ":" in model else f"{model}:latest"
            if standin.mode == "missing_model" or not (
                self._known(model) or wanted in standin.embed_models
            ):
                self._missing_model(model, openai)
                return
            given = body.get("input")
            texts = [given] if isinstance(given, str) else list(given or [])
            vectors = [_embedding(text, standin.embed_dimensions) for text in texts]
            if openai:
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": [
                            {"object": "embedding", "index": index, "embedding": vector}
                            for index, vector in enumerate(vectors)
                        ],
                        "model": model,
                        "usage": {"prompt_tokens": sum(count_tokens(t) for t in texts)},
                    },
                )
            else:
                self._json(
                    200,
                    {
                        "model": model,
                        "embeddings": vectors,
                        "total_duration": 1_000_000,
                        "load_duration": 100_000,
                        "prompt_eval_count": sum(count_tokens(text) for text in texts),
                    },
                )

        def _generate(self, request: RecordedRequest, *, openai: bool) -> None:
            body = request.body
            model = body.get("model") or ""
            if not model:
                self._error(400, "model is required")
                return
            mode = standin._mode_for(request)
            if mode == "missing_model" or not self._known(model):
                self._missing_model(model, openai)
                return
            if not openai and body.get("think") is True and model not in standin.thinking_models:
                self._error(400, f'"{model}" does not support thinking')
                return
            if mode == "busy_503":
                if openai:
                    self._openai_error(503, BUSY_MESSAGE, "ServiceUnavailableError")
                else:
                    self._error(503, BUSY_MESSAGE)
                return
            if mode == "rate_limited":
                self._openai_error(
                    429, RATE_LIMIT_MESSAGE, "None", {"Retry-After": standin.retry_after}
                )
                return
            if mode == "server_error":
                self._openai_error(500, SERVER_ERROR_MESSAGE, "InternalServerError")
                return
            if openai:
                wanted = count_tokens(request.text) + int(body.get("max_tokens") or 0)
                if wanted > standin.context_length:
                    prompt = count_tokens(request.text)
                    self._openai_error(
                        400,
                        f"This model's maximum context length is {standin.context_length} "
                        f"tokens. However, you requested {wanted} tokens ({prompt} in the "
                        f"messages, {wanted - prompt} in the completion). Please reduce the "
                        "length of the messages or completion.",
                        "BadRequestError",
                    )
                    return
            with standin._changed:
                must_wait = standin.active >= max(1, standin.parallel)
                if must_wait and standin._waiting >= standin.max_queue:
                    queue_full = True
                else:
                    queue_full = False
                    standin._waiting += 1
                    standin.in_flight += 1
                    standin.max_in_flight = max(standin.max_in_flight, standin.in_flight)
                    # Like OLLAMA_NUM_PARALLEL: beyond `parallel`, requests wait their turn.
                    while standin.active >= max(1, standin.parallel):
                        if standin._stop.is_set():
                            break
                        standin._changed.wait(0.05)
                    standin._waiting -= 1
                    standin.active += 1
                    standin.max_active = max(standin.max_active, standin.active)
                    standin._changed.notify_all()
            if not queue_full and self._killed():
                with standin._changed:
                    standin.active -= 1
                    standin.in_flight -= 1
                    standin._changed.notify_all()
                return
            if queue_full:
                if openai:
                    self._openai_error(503, BUSY_MESSAGE, "ServiceUnavailableError")
                else:
                    self._error(503, BUSY_MESSAGE)
                return
            started = time.monotonic()
            try:
                standin._paused.wait()
                if openai:
                    self._answer_openai(request, mode, model, started)
                else:
                    self._answer(request, mode, model, started)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): like Ollama, stop generating
            finally:
                ended = time.monotonic()
                busy = ended - started
                with standin._changed:
                    standin.timeline.append((started, ended))
                    standin.active -= 1
                    standin.in_flight -= 1
                    standin.busy_seconds += busy
                    standin._changed.notify_all()

        def _killed(self) -> bool:
            """Stopped mid-answer: drop the connection the way a killed process does."""
            if not standin._stop.is_set():
                return False
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return True

        def _read_prompt(self, request: RecordedRequest, seen: int | None = None) -> int:
            """Read the prompt (its first `seen` tokens) like the server: the part not in the
            prompt cache at `prompt_token_delay` a token. Returns the cached tokens."""
            prompt = tokenize(request.text)
            seen = len(prompt) if seen is None else seen
            cached = min(seen, standin.cached_prefix(prompt))
            if standin.prompt_token_delay:
                time.sleep((seen - cached) * standin.prompt_token_delay)
            return cached

        def _tokens(self, request: RecordedRequest, mode: str, limit: int) -> tuple[list[str], str]:
            """The answer's tokens and why it ended."""
            tokens = tokenize(standin.answer(request, mode))
            if 0 < limit < len(tokens):
                return tokens[:limit], "length"
            return tokens, "stop"

        def _pace(self, eval_started: float, index: int) -> None:
            if standin.token_delay:
                lag = eval_started + (index + 1) * standin.token_delay - time.monotonic()
                if lag > 0:
                    time.sleep(lag)

        def _answer(self, request: RecordedRequest, mode: str, model: str, started: float) -> None:
            body = request.body
            chat = self.path == "/api/chat"
            stream = body.get("stream", True) is not False
            options = body.get("options") or {}
            num_ctx = int(options.get("num_ctx") or DEFAULT_NUM_CTX)
            num_predict = int(options.get("num_predict") or -1)
            if mode == "slow" and standin._stop.wait(standin.slow_seconds):
                return
            prompt_tokens = count_tokens(request.text)
            # Like Ollama: an over-long prompt is cut silently, keeping about half the window.
            seen = prompt_tokens if prompt_tokens <= num_ctx else num_ctx // 2 + 2
            prompt_started = time.monotonic()
            cached = self._read_prompt(request, seen)
            prompt_ns = int((time.monotonic() - prompt_started) * 1e9)
            tokens = tokenize(standin.answer(request, mode))
            done_reason = "stop"
            if 0 < num_predict < len(tokens):
                tokens, done_reason = tokens[:num_predict], "length"
            if stream:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
            eval_started = time.monotonic()
            for index, token in enumerate(tokens):
                self._pace(eval_started, index)
                if self._killed():
                    return
                if stream:
                    if mode == "error_midstream" and index == min(3, len(tokens) - 1):
                        self._chunk({"error": MIDSTREAM_MESSAGE})
                        self.wfile.write(b"0\r\n\r\n")
                        return
                    self._chunk(_piece(model, chat, token, done=False))
            eval_ns = max(1, int((time.monotonic() - eval_started) * 1e9))
            if not stream and mode == "error_midstream":
                self._error(500, MIDSTREAM_MESSAGE)
                return
            final = _piece(model, chat, "" if stream else "".join(tokens), done=True)
            final.update(
                done_reason=done_reason,
                total_duration=int((time.monotonic() - started) * 1e9),
                load_duration=1_000_000,
                prompt_eval_count=seen,
                prompt_eval_duration=prompt_ns,
                eval_count=len(tokens),
                eval_duration=eval_ns,
            )
            if standin.prefix_cache:
                final["prompt_eval_cached_count"] = cached
            if stream:
                self._chunk(final)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            else:
                self._json(200, final)
            self._finished(request, len(tokens), seen, cached)

        def _finished(
            self, request: RecordedRequest, tokens: int, prompt: int, cached: int
        ) -> None:
            usage = Usage(request.path, prompt, cached, tokens, _kind(request))
            with standin._lock:
                standin.eval_tokens += tokens
                standin.answered.append(request)
                standin.usage_log.append(usage)

        def _answer_openai(
            self, request: RecordedRequest, mode: str, model: str, started: float
        ) -> None:
            """/v1/chat/completions: SSE chunks, the usage, [DONE] (or one JSON object)."""
            body = request.body
            stream = body.get("stream") is True
            usage_wanted = bool((body.get("stream_options") or {}).get("include_usage"))
            if mode == "slow" and standin._stop.wait(standin.slow_seconds):
                return
            cached = self._read_prompt(request)
            tokens, finish = self._tokens(request, mode, int(body.get("max_tokens") or -1))
            prompt = count_tokens(request.text)
            usage: dict[str, Any] = {
                "prompt_tokens": prompt,
                "completion_tokens": len(tokens),
                "total_tokens": prompt + len(tokens),
            }
            if standin.prefix_cache:
                usage["prompt_tokens_details"] = {"cached_tokens": cached}
            ident = "chatcmpl-" + hashlib.sha256(request.text.encode()).hexdigest()[:12]
            base = {"id": ident, "object": "chat.completion.chunk", "created": 1767225600}
            base["model"] = model
            if not stream:
                eval_started = time.monotonic()
                for index in range(len(tokens)):
                    self._pace(eval_started, index)
                message = {"role": "assistant", "content": "".join(tokens)}
                self._json(
                    200,
                    {
                        **base,
                        "object": "chat.completion",
                        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                        "usage": usage,
                    },
                )
                self._finished(request, len(tokens), prompt, cached)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._event({**base, "choices": [_choice({"role": "assistant", "content": ""})]})
            eval_started = time.monotonic()
            for index, token in enumerate(tokens):
                self._pace(eval_started, index)
                if self._killed():
                    return
                if mode == "error_midstream" and index == min(3, len(tokens) - 1):
                    # vLLM sends a failure after the 200 as one more data line.
                    self._event(
                        {"error": {"message": MIDSTREAM_MESSAGE, "type": "InternalServerError",
                                   "param": None, "code": 500}}
                    )  # fmt: skip
                    self._event("[DONE]")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                last = index == len(tokens) - 1
                self._event(
                    {**base, "choices": [_choice({"content": token}, finish if last else None)]}
                )
            if not tokens:
                self._event({**base, "choices": [_choice({}, finish)]})
            if usage_wanted:
                self._event({**base, "choices": [], "usage": usage})
            self._event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            self._finished(request, len(tokens), prompt, cached)

    return Handler


def _kind(request: RecordedRequest) -> str:
    """What a model request asked for (for `usage_log`)."""
    schema = request.schema
    if isinstance(schema, dict):
        properties = schema.get("properties") or {}
        if "papers" in properties:
            return "classify"
        if "summary" in properties:
            return "combined"
        return "other"
    text = request.text
    if "주요 주제 및 경향" in text:
        return "report"
    return "summary" if "<abstract>" in text else "other"


def _choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}


def _embedding(text: str, dimensions: int) -> list[float]:
    """A unit vector from the words of `text` (hashed into `dimensions` buckets)."""
    vector = [0.0] * dimensions
    for word in re.findall(r"\w{3,}", text.lower()):
        bucket = int(hashlib.sha256(word.encode()).hexdigest(), 16)
        vector[bucket % dimensions] += 1.0 if (bucket >> 20) % 2 else -1.0
    norm = sum(value * value for value in vector) ** 0.5 or 1.0
    return [value / norm for value in vector]


def _piece(model: str, chat: bool, text: str, *, done: bool) -> dict[str, Any]:
    if chat:
        return {
            "model": model,
            "created_at": _now(),
            "message": {"role": "assistant", "content": text},
            "done": done,
        }
    return {"model": model, "created_at": _now(), "response": text, "done": done}


def _model_entry(name: str) -> dict[str, Any]:
    family = name.split(":")[0]
    return {
        "name": name,
        "model": name,
        "modified_at": "2026-10-01T09:00:00.000000000+09:00",
        "size": 3338801804,
        "digest": hashlib.sha256(name.encode()).hexdigest(),
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": "4.3B",
            "quantization_level": "Q4_K_M",
        },
    }


def _show(name: str, standin: OllamaStandin) -> dict[str, Any]:
    family = name.split(":")[0]
    capabilities = ["completion"]
    if name in standin.thinking_models:
        capabilities.append("thinking")
    return {
        "license": "stand-in",
        "modelfile": f"FROM {name}",
        "parameters": "temperature 1",
        "template": "{{ .Prompt }}",
        "details": _model_entry(name)["details"],
        "model_info": {
            "general.architecture": family,
            f"{family}.context_length": standin.context_length,
        },
        "capabilities": capabilities,
        "modified_at": "2026-10-01T09:00:00.000000000+09:00",
    }


def running_standin(**knobs: Any) -> Iterator[OllamaStandin]:
    """A started stand-in for a `with`/fixture body; stopped afterwards."""
    standin = OllamaStandin(**knobs).start()
    try:
        yield standin
    finally:
        standin.stop()


def main() -> None:
    """Run the stand-in by hand (e.g. to try the TUI without a real model)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--mode", choices=MODES, default="korean")
    parser.add_argument("--token-delay", type=float, default=0.02)
    parser.add_argument("--parallel", type=int, default=1)
    args = parser.parse_args()
    standin = OllamaStandin(
        mode=args.mode, token_delay=args.token_delay, parallel=args.parallel, port=args.port
    ).start()
    print(f"Ollama stand-in on {standin.url} (mode {args.mode}); Ctrl-C stops it")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()
