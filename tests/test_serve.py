"""`dailyai serve`: the output dir over HTTP on 127.0.0.1, read-only and nothing outside it."""

from __future__ import annotations

import http.client
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.serve import base_url, is_loopback, make_server, rewrite_feed_links

WRITTEN_FOR = "http://127.0.0.1:8484"
FEED = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<feed xmlns="http://www.w3.org/2005/Atom">'
    f'<link href="{WRITTEN_FOR}/feeds/daily.atom" rel="self" type="application/atom+xml"/>'
    f'<link href="{WRITTEN_FOR}/" rel="alternate"/>'
    '<entry><content type="html">&lt;img src="'
    f'{WRITTEN_FOR}/reports/2026-05-08/paper_2026-05-08.png"&gt;</content>'
    f'<link href="{WRITTEN_FOR}/reports/2026-05-08/Papers_2026-05-08_report.md"/>'
    '<link href="http://127.0.0.1:84840/elsewhere" rel="related"/>'
    "</entry></feed>\n"
).encode()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    (out / "feeds" / "category").mkdir(parents=True)
    (out / "reports" / "2026-05-08").mkdir(parents=True)
    (out / "feeds" / "daily.rss").write_bytes(b"<?xml version='1.0'?><rss/>")
    (out / "feeds" / "daily.atom").write_bytes(b"<?xml version='1.0'?><feed/>")
    (out / "reports" / "2026-05-08" / "Papers_2026-05-08_report.md").write_text(
        "# 보고서\n", encoding="utf-8"
    )
    (out / "reports" / "2026-05-08" / "paper_2026-05-08.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (out / "feeds" / ".daily.rss.x1.tmp").write_bytes(b"half a file")
    (tmp_path / "secret.txt").write_text("not for readers", encoding="utf-8")
    os.symlink(tmp_path / "secret.txt", out / "escape.txt")
    return out


@pytest.fixture
def server(site: Path) -> Iterator[tuple[str, int]]:
    httpd = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[:2]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def get(address, path: str, method: str = "GET", headers: dict[str, str] | None = None):
    connection = http.client.HTTPConnection(*address, timeout=10)
    headers = dict(headers or {})
    try:
        # The path goes out exactly as written, so traversal attempts reach the server.
        connection.putrequest(method, path, skip_accept_encoding=True, skip_host="Host" in headers)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_content_types(server):
    cases = {
        "/feeds/daily.rss": "application/rss+xml; charset=utf-8",
        "/feeds/daily.atom": "application/atom+xml; charset=utf-8",
        "/reports/2026-05-08/Papers_2026-05-08_report.md": "text/markdown; charset=utf-8",
        "/reports/2026-05-08/paper_2026-05-08.png": "image/png",
    }
    for path, content_type in cases.items():
        status, headers, body = get(server, path)
        assert status == 200, path
        assert headers["Content-Type"] == content_type
        assert int(headers["Content-Length"]) == len(body)
    _, _, body = get(server, "/reports/2026-05-08/Papers_2026-05-08_report.md")
    assert body.decode("utf-8") == "# 보고서\n"


def test_etag_and_last_modified_give_304(server):
    status, headers, _ = get(server, "/feeds/daily.rss")
    assert status == 200
    etag, modified = headers["ETag"], headers["Last-Modified"]
    status, headers, body = get(server, "/feeds/daily.rss", headers={"If-None-Match": etag})
    assert (status, body) == (304, b"") and headers["ETag"] == etag
    status, _, body = get(server, "/feeds/daily.rss", headers={"If-Modified-Since": modified})
    assert (status, body) == (304, b"")
    status, _, _ = get(server, "/feeds/daily.rss", headers={"If-None-Match": '"other"'})
    assert status == 200


def test_head_has_headers_but_no_body(server):
    status, headers, body = get(server, "/feeds/daily.atom", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/feeds/../../secret.txt",
        "/feeds/%2E%2E/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/escape.txt",  # a symlink out of the root
        "/feeds/.daily.rss.x1.tmp",  # a half-written temp file
        "/feeds/%00daily.rss",
        "/feeds\\..\\..\\secret.txt",
        "/nope.rss",
    ],
)
def test_nothing_outside_the_root_or_hidden_is_served(server, path):
    status, _, body = get(server, path)
    assert status == 404
    assert b"not for readers" not in body and b"half a file" not in body


def test_directories_list_only_their_own_files(server):
    status, headers, body = get(server, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode("utf-8")
    assert 'href="feeds/"' in page and 'href="reports/"' in page
    assert "secret" not in page
    status, _, body = get(server, "/feeds/")
    assert 'href="daily.rss"' in body.decode() and ".tmp" not in body.decode()
    status, headers, _ = get(server, "/feeds")
    assert status == 301 and headers["Location"] == "/feeds/"


def test_only_get_and_head(server):
    status, _, _ = get(server, "/feeds/daily.rss", method="POST")
    assert status == 501


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_feed_links_are_rewritten_to_where_the_feed_is_served():
    rewritten = rewrite_feed_links(FEED, "http://localhost:9000")
    assert WRITTEN_FOR.encode() + b"/" not in rewritten
    assert rewritten.count(b"http://localhost:9000/") == 4
    assert b'href="http://localhost:9000/feeds/daily.atom" rel="self"' in rewritten
    assert b"http://127.0.0.1:84840/elsewhere" in rewritten  # another address is left alone
    assert rewrite_feed_links(FEED, WRITTEN_FOR) == FEED
    assert rewrite_feed_links(b"<feed/>", "http://localhost:9000") == b"<feed/>"


def test_base_url_of_a_bind_address():
    assert base_url("127.0.0.1", 9000) == "http://127.0.0.1:9000"
    assert base_url("0.0.0.0", 9000) == "http://127.0.0.1:9000"
    assert base_url("::", 9000) == "http://[::1]:9000"
    assert base_url("::1", 9000) == "http://[::1]:9000"
    assert base_url("localhost", 80) == "http://localhost:80"


@pytest.fixture
def rewriting_server(site: Path) -> Iterator[tuple[str, int]]:
    (site / "feeds" / "daily.atom").write_bytes(FEED)
    httpd = make_server(site, "127.0.0.1", 0, rewrite_links=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[:2]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_a_served_feed_links_to_the_address_it_was_fetched_from(rewriting_server):
    host, port = rewriting_server
    here = f"http://{host}:{port}"
    status, headers, body = get(rewriting_server, "/feeds/daily.atom")
    assert status == 200 and int(headers["Content-Length"]) == len(body)
    assert WRITTEN_FOR.encode() + b"/" not in body
    assert body.count(here.encode() + b"/") == 4
    # Reached under another name, the links use that name.
    _, named_headers, named = get(
        rewriting_server, "/feeds/daily.atom", headers={"Host": f"localhost:{port}"}
    )
    assert named.count(f"http://localhost:{port}/".encode()) == 4
    assert named_headers["ETag"] != headers["ETag"]  # another representation
    # A Host header that is not a plain host name never gets into the feed.
    for hostile in ('evil"><script>x</script>', "a b", "host/path", "x:1:2", ""):
        _, _, answer = get(rewriting_server, "/feeds/daily.atom", headers={"Host": hostile})
        assert answer == body, hostile
    status, _, answer = get(
        rewriting_server, "/feeds/daily.atom", headers={"If-None-Match": headers["ETag"]}
    )
    assert (status, answer) == (304, b"")
    # Only feeds are rewritten.
    _, _, report = get(rewriting_server, "/reports/2026-05-08/Papers_2026-05-08_report.md")
    assert report.decode("utf-8") == "# 보고서\n"


def test_feeds_are_sent_as_written_when_the_site_url_is_set(site: Path, server):
    (site / "feeds" / "daily.atom").write_bytes(FEED)
    _, _, body = get(server, "/feeds/daily.atom")
    assert body == FEED
