"""Safe by default: escaped values, sanitised Markdown, an output audited against the CSP, and a
dev server that stays on this machine and inside the output folder.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stride.audit import _Breaches, audit_pages
from stride.output import OutputFile
from tests.helpers import (
    article,
    build_errors,
    build_in_memory,
    copy_project,
    free_port,
    start_cli,
    wait_until,
    write_files,
)

ATTACK = "</script><script>alert(1)</script><img src=x onerror=alert(2)> & \"quotes\" 'too'"
CSP_HINT = (
    "    hint: the CSP forbids it: move it to a template-linked file in static/ "
    "or remove it from the Markdown"
)


# --- Front-matter values never reach HTML unescaped ---------------------------------------


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    content = tmp_path_factory.mktemp("hostile") / "content"
    quoted = json.dumps(ATTACK)  # a JSON string is a valid YAML string
    fields = f"summary: {quoted}\nauthor: '<b>bold</b>'\ntags: ['<svg onload=x>', 'a&b']"
    text = article("T", extra=fields).replace("title: T", f"title: {quoted}")
    text = text.replace("summary: A short summary.\n", "")
    return build_in_memory(write_files(content, {"articles/a.md": text})).files


def test_front_matter_markup_is_escaped_on_every_page(hostile_site: dict[str, bytes]) -> None:
    pages = {path: data.decode() for path, data in hostile_site.items() if path.endswith(".html")}
    assert len(pages) > 5
    for path, html in pages.items():
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html and "<svg onload" not in html, path
        assert "<b>bold" not in html, path


def test_structured_data_cannot_be_closed_by_a_title(hostile_site: dict[str, bytes]) -> None:
    html = hostile_site["articles/a/index.html"].decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    assert blocks and all("<" not in block for block in blocks)
    assert "\\u003c/script\\u003e" in blocks[0]


def test_the_feed_stays_well_formed_xml_with_the_markup_as_text(
    hostile_site: dict[str, bytes],
) -> None:
    feed = ET.fromstring(hostile_site["feed.xml"])
    titles = [element.text for element in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert ATTACK in titles


# --- Raw HTML in Markdown is sanitised ----------------------------------------------------


def body_html(tmp_path: Path, body: str) -> str:
    site = build_in_memory(write_files(tmp_path / "content", {"articles/a.md": article(body=body)}))
    html = site.text("articles/a/index.html")
    return html.split('<div class="prose">', 1)[1].split("</div>\n  <section", 1)[0]


@pytest.mark.parametrize(
    ("markdown", "kept", "gone"),
    [
        ("Hi <script>alert(1)</script> there", "Hi  there", "alert"),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>", "javascript"),
        ('<a href=" JaVaScRiPt:alert(1)">x</a>', "<a>x</a>", "alert"),
        ('<a href="&#106;avascript:alert(1)">x</a>', "<a>x</a>", "alert"),
        ('<img src="x.png" alt="a" onerror="alert(1)">', 'alt="a"', "onerror"),
        ('<p onclick="alert(1)" style="color:red">p</p>', "<p>p</p>", "onclick"),
        ('<iframe src="https://evil.example/"></iframe>', "", "iframe"),
        ('<object data="x.swf"></object><embed src="x.swf">', "", "swf"),
        ('<form action="https://evil.example/"><input name="q"></form>', "", "form"),
        ('<svg><g onload="alert(1)"></g></svg>', "", "onload"),
        ("<style>body { display: none }</style>", "", "display"),
        ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', "", "refresh"),
        ('<base href="https://evil.example/">', "", "evil"),
        ('<img src="data:text/html;base64,PHNjcmlwdD4=">', "<img>", "data:"),
        (
            '<details open ontoggle="alert(1)"><summary>s</summary></details>',
            "<details>",
            "ontoggle",
        ),
        (
            '[x](https://ok.example/){: onclick="alert(1)" style="x" }',
            'href="https://ok.example/"',
            "onclick",
        ),
        ("<!-- a comment <script>alert(1)</script> -->text", "text", "comment"),
    ],
)
def test_raw_html_cannot_run_script_or_escape_the_csp(
    tmp_path: Path, markdown: str, kept: str, gone: str
) -> None:
    html = body_html(tmp_path, markdown + "\n")
    assert kept in html
    assert gone not in html.lower()


def test_trusted_formatting_in_raw_html_survives(tmp_path: Path) -> None:
    markup = (
        '<abbr title="Rate of perceived exertion">RPE</abbr> <kbd>Ctrl</kbd> <mark>m</mark> '
        "<sub>2</sub>\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n"
    )
    html = body_html(tmp_path, markup)
    assert '<abbr title="Rate of perceived exertion">RPE</abbr>' in html
    assert "<kbd>Ctrl</kbd>" in html and "<mark>m</mark>" in html
    assert 'class="align-right"' in html and "style=" not in html  # table alignment, no CSP breach


def test_a_javascript_link_in_markdown_is_refused_with_its_scheme(tmp_path: Path) -> None:
    content = write_files(
        tmp_path / "content", {"articles/a.md": article(body="[x](javascript:alert(1))")}
    )
    assert build_errors(content) == (
        "articles/a.md:6:5: link 'javascript:alert(1)' uses a 'javascript:' URL, "
        "which pages may not contain\n"
        "    hint: link with https://, mailto: or tel:, or to a page of the site\n"
        "1 error: the build was not written."
    )


# --- The build audits its own output against the CSP --------------------------------------


def test_templates_that_would_break_the_csp_fail_the_build(tmp_path: Path) -> None:
    breaches = (
        "<h1>{{ page.title }}</h1>\n"
        "<script>console.log('inline')</script>\n"
        '<p style="color: red">styled</p>\n'
        '<button type="button" onclick="go()">Go</button>\n'
        "<style>p { color: red }</style>\n"
        '<a href="javascript:go()">go</a>\n'
        '<script type="application/ld+json">{"@type": "Thing"}</script>\n'
        '<script src="/js/other.js" defer></script>\n'
    )
    project = copy_project(tmp_path / "project", {"article.html": breaches})
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    assert build_errors(content, project=project) == "\n".join(
        [
            "site/articles/a/index.html:2:1: inline <script> in output",
            CSP_HINT,
            "site/articles/a/index.html:3:1: inline style attribute in output",
            CSP_HINT,
            "site/articles/a/index.html:4:1: event handler attribute 'onclick' in output",
            CSP_HINT,
            "site/articles/a/index.html:5:1: inline <style> element in output",
            CSP_HINT,
            "site/articles/a/index.html:6:1: javascript: URL in output",
            CSP_HINT,
            "5 errors: the build was not written.",
        ]
    )


def audit(html: str) -> list[str]:
    problems, _ = audit_pages([OutputFile("p.html", html.encode())], [], 100)
    return [f"{p.line}:{p.column}: {p.message}" for p in problems]


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ("<SCRIPT>go()</SCRIPT>", "1:1: inline <script> in output"),
        ('<script type="module">go()</script>', "1:1: inline <script> in output"),
        ('<script data-src="x.js">go()</script>', "1:1: inline <script> in output"),
        ("<p>\n  <img src=x onerror=go()>", "2:3: event handler attribute 'onerror' in output"),
        ('<div style = "x">', "1:1: inline style attribute in output"),
        ('<a href=" Java\tScript:go()">', "1:1: javascript: URL in output"),
        ('<a href="&#106;avascript:go()">', "1:1: javascript: URL in output"),
        ('<svg><a xlink:href="javascript:go()"></a></svg>', "1:6: javascript: URL in output"),
        ('<form><button formaction="javascript:go()">', "1:7: javascript: URL in output"),
    ],
)
def test_the_audit_sees_through_disguised_breaches(html: str, found: str) -> None:
    assert audit(html) == [found]


@pytest.mark.parametrize(
    "html",
    [
        '<script type="application/ld+json">{"name": "<b>"}</script>',
        '<script src="/js/site.js" defer></script>',
        '<meta name="description" content="Use style=bold and onload=fast, javascript: too">',
        "<p>Write &lt;script&gt;go()&lt;/script&gt; or onclick=go() in text</p>",
        '<pre><code>&lt;p style="x" onclick="y"&gt;</code></pre>',
    ],
)
def test_the_audit_is_not_fooled_by_text_that_looks_like_markup(html: str) -> None:
    assert audit(html) == []


# Pieces that make or almost make a breach: attributes, separators, quotes, safe and unsafe URLs.
# (An attribute without a value, <a style>, holds no style or script: the quick check ignores it.)
_MARKUP_PIECES = st.sampled_from(
    [
        *("<a ", "<img ", "<script", "<SCRIPT", "<style", '<script src="/x.js">', ">", "/"),
        *(":", " ", "\t", "\n", "=", '"', "'", "x", "content", "xlink:", "\u00e9", "&#106;"),
        *("href=", "HREF =", "src=", "style=", "Style =", "onclick=", "ONLOAD =", "action="),
        *("formaction=", "data=", "poster=", "background="),
        *("https://", "http:/", "/", "#", "mailto:", "tel:", "javascript:"),
    ]
)


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(_MARKUP_PIECES, max_size=16))
def test_the_quick_check_never_skips_a_page_the_parser_would_refuse(pieces: list[str]) -> None:
    # Most pages skip the HTML parser after a quick pattern check; it must miss nothing.
    html = "".join(pieces)
    parser = _Breaches()
    parser.feed(html)
    parser.close()
    assert audit(html) == [f"{line}:{column}: {message}" for line, column, message in parser.found]


# --- The dev server -----------------------------------------------------------------------


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    write_files(tmp_path / "secret", {"passwd.txt": "the secret"})
    content = write_files(tmp_path / "content", {"articles/a.md": article("Served")})
    port = free_port()
    process = start_cli(
        "serve", "--no-cache", "--port", port, "--content", content, "--out", tmp_path / "out"
    )
    try:
        assert wait_until((tmp_path / "out" / "articles/a/index.html").exists)
        assert wait_until(lambda: get(port, "/articles/a/")[0] == 200)
        yield port, tmp_path
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def get(port: int, path: str) -> tuple[int, bytes]:
    """A raw request: the path is sent exactly as given, not normalised by a client."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", f"127.0.0.1:{port}")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    except (ConnectionError, OSError):
        return 0, b""
    finally:
        connection.close()


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on port, from /proc (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")
def test_the_dev_server_listens_on_loopback_only(dev_server: tuple[int, Path]) -> None:
    port, _ = dev_server
    # 127.0.0.1 is 0100007F in /proc's little-endian hex; ::1 is all zeros but the last byte.
    assert listening_addresses(port) <= {"0100007F", "00000000000000000000000001000000"}
    assert listening_addresses(port)


@pytest.mark.parametrize(
    "path",
    [
        "/../secret/passwd.txt",
        "/%2e%2e/secret/passwd.txt",
        "/..%2fsecret%2fpasswd.txt",
        "/articles/../../secret/passwd.txt",
        "//" + "tmp/secret/passwd.txt",
        "/%2e%2e%5csecret%5cpasswd.txt",
    ],
)
def test_the_dev_server_serves_nothing_outside_the_output_folder(
    dev_server: tuple[int, Path], path: str
) -> None:
    port, _ = dev_server
    status, body = get(port, path)
    assert b"the secret" not in body
    assert status != 200


def test_the_dev_server_does_not_follow_links_out_of_the_output_folder(
    dev_server: tuple[int, Path],
) -> None:
    port, root = dev_server
    (root / "out" / "leak.txt").symlink_to(root / "secret" / "passwd.txt")
    status, body = get(port, "/leak.txt")
    assert (status, b"the secret" in body) == (403, False)
