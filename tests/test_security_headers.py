"""The headers in netlify.toml score A+ on the MDN HTTP Observatory, judged by its own rules.

The scorer follows the Observatory's published method (developer.mozilla.org/en-US/observatory/
docs/tests_and_scoring, and the modifiers and parsing rules of mdn/mdn-http-observatory): start at
100, subtract every penalty, and only if the result is 90 or more add the bonuses. Tests that
need a live server are judged from what this repository controls: no cookies or CORS headers
are configured, Netlify redirects http to https on the same host, and the built pages load
scripts only from their own origin.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from tests.helpers import REPO, build_in_memory

SIX_MONTHS = 15_552_000  # the Observatory's "white lie" for six months
DANGEROUSLY_BROAD = {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*"}
DANGEROUSLY_BROAD |= {"https://*.*"}
UNSAFE_INLINE = {"'unsafe-inline'", "data:"}
GOOD_REFERRERS = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
BAD_REFERRERS = {"origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"}
GRADES = [
    (100, "A+"),
    (90, "A"),
    (85, "A-"),
    (80, "B+"),
    (70, "B"),
    (65, "B-"),
    (60, "C+"),
    (50, "C"),
    (45, "C-"),
    (40, "D+"),
    (30, "D"),
    (25, "D-"),
    (0, "F"),
]


@dataclass(frozen=True, slots=True)
class Result:
    test: str
    expectation: str
    modifier: int


@dataclass(frozen=True, slots=True)
class Score:
    results: tuple[Result, ...]

    @property
    def value(self) -> int:
        penalties = sum(r.modifier for r in self.results if r.modifier < 0)
        bonuses = sum(r.modifier for r in self.results if r.modifier > 0)
        score = max(100 + penalties, 0)
        return score + bonuses if score >= 90 else score  # extra credit only from an A

    @property
    def grade(self) -> str:
        return next(grade for floor, grade in GRADES if self.value >= floor)


class InvalidPolicy(ValueError):
    pass


def parse_csp(policy: str) -> dict[str, set[str]]:
    """Directive -> sources, as the Observatory parses one policy; repeats make it invalid."""
    parsed: dict[str, set[str]] = {}
    if len(policy.strip()) < len("img-src") - 1:
        raise InvalidPolicy(policy)
    for entry in policy.split(";"):
        directive, *sources = entry.strip().split() or [""]
        if not directive:
            continue
        directive = directive.lower()
        if directive in parsed and directive not in ("report-uri", "report-to"):
            raise InvalidPolicy(f"{directive} twice")
        values = {source.lower() for source in sources}
        if not values and directive.endswith("-src"):
            values = {"'none'"}
        parsed[directive] = values
    return parsed


def csp_test(headers: Mapping[str, str]) -> Result:
    policy = headers.get("content-security-policy")
    if policy is None:
        return Result("content-security-policy", "csp-not-implemented", -25)
    try:
        csp = parse_csp(policy)
    except InvalidPolicy:
        return Result("content-security-policy", "csp-header-invalid", -25)
    default = csp.get("default-src")
    script = csp.get("script-src") or default or {"*"}
    objects = csp.get("object-src") or default or {"*"}
    style = csp.get("style-src") or default or {"*"}
    active = [s for d, v in csp.items() if d not in ("img-src", "media-src") for s in v]
    passive = [s for d in ("img-src", "media-src") for s in csp.get(d) or default or set()]
    if script & (DANGEROUSLY_BROAD | UNSAFE_INLINE) or objects & DANGEROUSLY_BROAD:
        return Result("content-security-policy", "csp-implemented-with-unsafe-inline", -20)
    if any(s.startswith(("http:", "ftp:")) for s in active):
        return Result("content-security-policy", "csp-implemented-with-insecure-scheme", -20)
    if "'unsafe-eval'" in script | style:
        return Result("content-security-policy", "csp-implemented-with-unsafe-eval", -10)
    if any(s.startswith(("http:", "ftp:")) for s in passive):
        expectation = "csp-implemented-with-insecure-scheme-in-passive-content-only"
        return Result("content-security-policy", expectation, -10)
    if style & (DANGEROUSLY_BROAD | UNSAFE_INLINE):
        expectation = "csp-implemented-with-unsafe-inline-in-style-src-only"
        return Result("content-security-policy", expectation, 0)
    if default == {"'none'"}:
        expectation = "csp-implemented-with-no-unsafe-default-src-none"
        return Result("content-security-policy", expectation, 10)
    return Result("content-security-policy", "csp-implemented-with-no-unsafe", 5)


def hsts_test(headers: Mapping[str, str]) -> Result:
    value = headers.get("strict-transport-security")
    if value is None:
        return Result("strict-transport-security", "hsts-not-implemented", -20)
    parameters = [part.strip().lower() for part in value.split(";")]
    ages = [p.removeprefix("max-age=") for p in parameters if p.startswith("max-age=")]
    if "," in value or not ages or not ages[0].isdigit():
        return Result("strict-transport-security", "hsts-header-invalid", -20)
    if int(ages[0]) < SIX_MONTHS:
        return Result(
            "strict-transport-security", "hsts-implemented-max-age-less-than-six-months", -10
        )
    # Being on the browsers' preload list would add 5; that is not ours to assert, so no bonus.
    return Result("strict-transport-security", "hsts-implemented-max-age-at-least-six-months", 0)


def x_content_type_options_test(headers: Mapping[str, str]) -> Result:
    value = headers.get("x-content-type-options")
    if value is None:
        return Result("x-content-type-options", "x-content-type-options-not-implemented", -5)
    if value.strip().lower() != "nosniff":
        return Result("x-content-type-options", "x-content-type-options-header-invalid", -5)
    return Result("x-content-type-options", "x-content-type-options-nosniff", 0)


def x_frame_options_test(headers: Mapping[str, str]) -> Result:
    policy = headers.get("content-security-policy")
    try:
        if policy is not None and "frame-ancestors" in parse_csp(policy):
            return Result("x-frame-options", "x-frame-options-implemented-via-csp", 5)
    except InvalidPolicy:
        pass
    value = (headers.get("x-frame-options") or "").strip().lower()
    if not value:
        return Result("x-frame-options", "x-frame-options-not-implemented", -20)
    if value in ("deny", "sameorigin") or value.startswith("allow-from"):
        return Result("x-frame-options", "x-frame-options-sameorigin-or-deny", 0)
    return Result("x-frame-options", "x-frame-options-header-invalid", -20)


def referrer_policy_test(headers: Mapping[str, str]) -> Result:
    value = headers.get("referrer-policy")
    if value is None:
        return Result("referrer-policy", "referrer-policy-not-implemented", 0)
    known = [
        v.strip().lower()
        for v in value.split(",")
        if v.strip().lower() in GOOD_REFERRERS | BAD_REFERRERS
    ]
    policy = known[-1] if known else ""  # the last policy a browser understands wins
    if policy in GOOD_REFERRERS:
        return Result("referrer-policy", "referrer-policy-private", 5)
    if policy in BAD_REFERRERS:
        return Result("referrer-policy", "referrer-policy-unsafe", -5)
    return Result("referrer-policy", "referrer-policy-header-invalid", -5)


def cross_origin_resource_policy_test(headers: Mapping[str, str]) -> Result:
    value = headers.get("cross-origin-resource-policy")
    if value is None:
        return Result("cross-origin-resource-policy", "corp-not-implemented", 0)
    value = value.strip().lower()
    if value in ("same-origin", "same-site"):
        return Result("cross-origin-resource-policy", f"corp-implemented-with-{value}", 10)
    if value == "cross-origin":
        return Result("cross-origin-resource-policy", "corp-implemented-with-cross-origin", 0)
    return Result("cross-origin-resource-policy", "corp-header-invalid", -5)


def cookies_test(headers: Mapping[str, str]) -> Result:
    # A static site sets no cookies; any Set-Cookie configured here would need its own scoring.
    assert "set-cookie" not in headers, "score the cookie's Secure, HttpOnly and SameSite flags"
    return Result("cookies", "cookies-not-found", 0)


def cors_test(headers: Mapping[str, str]) -> Result:
    origin = headers.get("access-control-allow-origin")
    if origin is None:
        return Result("cross-origin-resource-sharing", "cors-not-implemented", 0)
    if headers.get("access-control-allow-credentials", "").lower() == "true":
        return Result(
            "cross-origin-resource-sharing", "cors-implemented-with-universal-access", -50
        )
    return Result("cross-origin-resource-sharing", "cors-implemented-with-public-access", 0)


def subresource_integrity_test(home_page: str) -> Result:
    sources = re.findall(r"<script\b[^>]*\ssrc=\"([^\"]+)\"", home_page)
    if not sources:
        return Result("subresource-integrity", "sri-not-implemented-but-no-scripts-loaded", 0)
    if all(src.startswith("/") and not src.startswith("//") for src in sources):
        expectation = "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
        return Result("subresource-integrity", expectation, 0)
    return Result("subresource-integrity", "sri-not-implemented-but-external-scripts", -5)


def score(headers: Mapping[str, str], home_page: str) -> Score:
    headers = {name.lower(): value for name, value in headers.items()}
    return Score(
        (
            csp_test(headers),
            hsts_test(headers),
            x_content_type_options_test(headers),
            x_frame_options_test(headers),
            referrer_policy_test(headers),
            cross_origin_resource_policy_test(headers),
            cookies_test(headers),
            cors_test(headers),
            subresource_integrity_test(home_page),
            # Netlify sends http to https on the same host before anything else.
            Result("redirection", "redirection-to-https", 0),
        )
    )


def site_headers() -> dict[str, str]:
    """The headers Netlify sends with every page: the rule for '/*' in netlify.toml."""
    config = tomllib.loads((REPO / "netlify.toml").read_text(encoding="utf-8"))
    (rule,) = [rule for rule in config["headers"] if rule["for"] == "/*"]
    return dict(rule["values"])


@pytest.fixture(scope="module")
def home_page() -> str:
    return build_in_memory(REPO / "content").text("index.html")


def test_netlify_headers_score_a_plus_on_the_http_observatory(home_page: str) -> None:
    result = score(site_headers(), home_page)
    assert {r.expectation: r.modifier for r in result.results} == {
        "csp-implemented-with-no-unsafe-default-src-none": 10,
        "hsts-implemented-max-age-at-least-six-months": 0,
        "x-content-type-options-nosniff": 0,
        "x-frame-options-implemented-via-csp": 5,
        "referrer-policy-private": 5,
        "corp-implemented-with-same-origin": 10,
        "cookies-not-found": 0,
        "cors-not-implemented": 0,
        "sri-not-implemented-but-all-scripts-loaded-from-secure-origin": 0,
        "redirection-to-https": 0,
    }
    assert (result.value, result.grade) == (130, "A+")


def test_the_policy_allows_nothing_unsafe_and_nothing_from_elsewhere() -> None:
    policy = site_headers()["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    csp = parse_csp(policy)
    assert csp["default-src"] == {"'none'"}
    sources = {source for values in csp.values() for source in values}
    assert sources <= {"'self'", "'none'"}  # no hosts, schemes or wildcards
    assert csp["frame-ancestors"] == csp["object-src"] == {"'none'"}
    assert csp["form-action"] == csp["base-uri"] == {"'self'"}


@pytest.mark.parametrize(
    ("headers", "value", "grade"),
    [
        ({}, 30, "D"),  # every header missing: -25 CSP, -20 HSTS, -5 nosniff, -20 framing
        (
            {
                "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'",
                "Strict-Transport-Security": "max-age=31536000",
                "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "DENY",
                "Referrer-Policy": "strict-origin-when-cross-origin",
            },
            80,  # the bonus for the referrer policy is withheld below 90
            "B+",
        ),
        (
            {
                "Content-Security-Policy": "default-src 'self'; frame-ancestors 'self'",
                "Strict-Transport-Security": "max-age=300",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer, unsafe-url",
            },
            85,  # -10 HSTS, -5 for the last referrer value; so no bonus for CSP and framing
            "A-",
        ),
        (
            {
                "Content-Security-Policy": "default-src 'none'; default-src 'self'",
                "Strict-Transport-Security": "max-age=63072000",
                "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "SAMEORIGIN",
                "Cross-Origin-Resource-Policy": "same-site",
            },
            75,  # a repeated directive makes the whole policy invalid
            "B",
        ),
    ],
)
def test_the_scorer_follows_the_observatory_on_weaker_headers(
    headers: dict[str, str], value: int, grade: str
) -> None:
    result = score(headers, '<script src="/js/site.js"></script>')
    assert (result.value, result.grade) == (value, grade)


def test_a_script_from_another_host_costs_points(home_page: str) -> None:
    page = home_page.replace("</head>", '<script src="https://cdn.example/x.js"></script></head>')
    assert score(site_headers(), page).value == 125
