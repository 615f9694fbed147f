"""What readers do, in a real Chromium under the production headers: read, sign up, use a keyboard.

Every journey runs against the Netlify-like server, so each page carries netlify.toml's strict
CSP; a journey fails on any console error (CSP violations included), script error or failed
request, and on any HTML document that arrives without those headers.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import pytest
from lxml import html as lxml_html
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import OpenPage
from tests.browser.netlify_server import NetlifyServer, Submission
from tests.browser.support import (
    PHONE,
    assert_focus_visible,
    axe_violations,
    focused,
    has_horizontal_scroll,
    tab_order,
)

EMAIL = "runner@example.com"


def assert_fits_phone(page: Page) -> None:
    assert not has_horizontal_scroll(page), f"{page.url} scrolls sideways on a phone"


def follow(page: Page, link: Locator) -> str:
    """Tap a link as a phone reader would; the URL path it leads to, once the page has loaded."""
    href = link.get_attribute("href") or ""
    assert href.startswith("/"), f"expected an internal link, got {href!r}"
    link.tap()
    expect(page).to_have_url(urljoin(page.url, href))
    page.wait_for_load_state("load")
    assert_fits_phone(page)
    return href


def newsletter_form(page: Page) -> Locator:
    form = page.locator("form[data-newsletter]")
    expect(form).to_have_count(1)
    return form


def only_new_submission(server: NetlifyServer, before: int) -> Submission:
    received = server.state.received()[before:]
    assert len(received) == 1, f"expected one form submission, the server got {received}"
    return received[0]


def netlify_name(form: Locator) -> str:
    """The form name Netlify files submissions under, from the hidden form-name field."""
    name = form.locator("input[type=hidden][name=form-name]").get_attribute("value")
    assert name, "the form has no hidden form-name field, so Netlify would reject it"
    return name


def assert_newsletter_fields(submission: Submission, form_name: str) -> None:
    """The submission is urlencoded, as Netlify parses it, with the email and an empty honeypot."""
    assert submission.fields.get("form-name") == form_name, submission
    assert submission.fields.get("email") == EMAIL, submission
    assert submission.fields.get("bot-field") == "", f"honeypot not empty: {submission}"
    assert not submission.spam, submission
    assert submission.content_type.startswith("application/x-www-form-urlencoded"), submission


@pytest.mark.browser
def test_reader_journey_on_a_phone(server: NetlifyServer, open_page: OpenPage) -> None:
    watch = open_page(viewport=PHONE)
    page = watch.page
    page.goto(server.url("/"))
    assert_fits_phone(page)
    featured_title = page.locator(".featured h2").inner_text().strip()

    follow(page, page.locator(".featured").get_by_role("link", name="Read the guide"))
    expect(page.locator("h1")).to_have_text(featured_title)

    exercise_url = follow(page, page.locator(".prose a[href^='/exercises/']").first)
    exercise_title = page.locator("h1").inner_text().strip()
    assert exercise_title, f"{exercise_url} has no heading"

    tag = page.locator(".entry-header .tag-list a").first
    tag_name = tag.inner_text().strip()
    follow(page, tag)
    expect(page.locator("h1")).to_contain_text(tag_name, ignore_case=True)

    page.go_back()
    expect(page).to_have_url(server.url(exercise_url))
    expect(page.locator("h1")).to_have_text(exercise_title)
    assert_fits_phone(page)
    assert watch.problems() == []


@pytest.mark.browser
def test_newsletter_signs_up_in_place_with_javascript(
    server: NetlifyServer, open_page: OpenPage
) -> None:
    watch = open_page()
    page = watch.page
    page.goto(server.url("/"))
    form = newsletter_form(page)
    status = form.locator(".form-status")
    before = len(server.state.received())

    form.locator("input[type=email]").fill(EMAIL)
    form.locator("button[type=submit]").click()

    expect(status).to_have_text(status.get_attribute("data-success") or "<no data-success>")
    expect(status).not_to_have_class("form-status is-error")
    expect(page).to_have_url(server.url("/"))
    expect(form.locator("input[type=email]")).to_have_value("")
    assert axe_violations(page, "form[data-newsletter]") == []
    submission = only_new_submission(server, before)
    assert submission.path == "/", f"with JavaScript the form should POST to '/': {submission}"
    assert_newsletter_fields(submission, netlify_name(form))
    assert watch.problems() == []


@pytest.mark.browser
def test_newsletter_says_so_when_the_signup_fails(
    server: NetlifyServer, open_page: OpenPage
) -> None:
    watch = open_page(color_scheme="dark")
    page = watch.page
    page.goto(server.url("/"))
    form = newsletter_form(page)
    status = form.locator(".form-status")
    server.state.failing = True

    form.locator("input[type=email]").fill(EMAIL)
    form.locator("button[type=submit]").click()

    expect(status).to_have_text(status.get_attribute("data-failure") or "<no data-failure>")
    expect(status).to_have_class("form-status is-error")
    expect(form.locator("input[type=email]")).to_have_value(EMAIL)  # kept, to try again
    expect(form.locator("button[type=submit]")).to_be_enabled()
    assert axe_violations(page, "form[data-newsletter]") == []  # the error colour, in dark mode
    failure = f"POST {server.url('/')}: 500"
    assert failure in watch.failed_requests, watch.failed_requests
    unexpected = [
        problem
        for problem in watch.problems()
        if not problem.endswith(failure) and "status of 500" not in problem
    ]
    assert unexpected == []


@pytest.mark.browser
def test_newsletter_posts_to_the_thanks_page_without_javascript(
    server: NetlifyServer, built_site: Path, open_page: OpenPage
) -> None:
    watch = open_page(javascript=False)
    page = watch.page
    page.goto(server.url("/"))
    form = newsletter_form(page)
    action = form.get_attribute("action") or ""
    assert action.startswith("/"), f"the form's action should be a page on the site: {action!r}"
    thanks = lxml_html.parse(str(built_site / action.strip("/") / "index.html")).getroot()
    form_name = netlify_name(form)
    before = len(server.state.received())

    form.locator("input[type=email]").fill(EMAIL)
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(server.url(action))
    expect(page.locator("h1")).to_have_text(thanks.findtext(".//h1").strip())
    submission = only_new_submission(server, before)
    assert submission.path == action, submission
    assert_newsletter_fields(submission, form_name)
    assert watch.problems() == []


@pytest.mark.browser
def test_honeypot_is_invisible_and_untabbable(server: NetlifyServer, open_page: OpenPage) -> None:
    watch = open_page()
    page = watch.page
    page.goto(server.url("/"))
    honeypot = newsletter_form(page).locator("[name=bot-field]")
    expect(honeypot).to_have_count(1)
    expect(honeypot).to_be_hidden()
    assert honeypot.bounding_box() is None, "the honeypot takes up space on the page"
    order = tab_order(page)
    names = [state["name"] for state in order]
    assert "email" in names, f"Tab never reached the email field: {order}"
    assert "bot-field" not in names, "Tab lands on the honeypot"
    assert watch.problems() == []


@pytest.mark.browser
def test_skip_link_moves_focus_to_the_content(server: NetlifyServer, open_page: OpenPage) -> None:
    watch = open_page()
    page = watch.page
    page.goto(server.url("/"))
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["href"] == "#main", f"the first Tab stop is not the skip link: {skip}"
    assert_focus_visible(skip)

    page.keyboard.press("Enter")
    expect(page).to_have_url(server.url("/#main"))
    assert focused(page)["id"] == "main", "Enter on the skip link did not move focus to main"
    page.keyboard.press("Tab")
    in_main = page.evaluate("() => document.activeElement.closest('main') !== null")
    assert in_main, f"after the skip link, Tab went to {focused(page)} instead of the content"
    assert_focus_visible(focused(page))
    assert watch.problems() == []


@pytest.mark.browser
def test_main_menu_works_with_the_keyboard(server: NetlifyServer, open_page: OpenPage) -> None:
    watch = open_page()
    page = watch.page
    page.goto(server.url("/"))
    menu = page.get_by_role("navigation", name="Main").locator("a")
    hrefs = [link.get_attribute("href") for link in menu.all()]
    assert len(hrefs) >= 3, f"the main menu has too few links: {hrefs}"

    order = tab_order(page)
    reached = [state for state in order if state["href"] in hrefs]
    assert [state["href"] for state in reached[: len(hrefs)]] == hrefs, (
        f"Tab does not walk the menu in order: {[state['href'] for state in order]}"
    )
    for state in reached[: len(hrefs)]:
        assert_focus_visible(state)

    page.goto(server.url("/"))
    target = hrefs[1]
    for _ in range(len(order)):
        page.keyboard.press("Tab")
        if focused(page)["href"] == target:
            break
    assert focused(page)["href"] == target, f"Tab never reached the menu link {target}"
    page.keyboard.press("Enter")
    expect(page).to_have_url(server.url(target or "/"))
    current = page.get_by_role("navigation", name="Main").locator("[aria-current=page]")
    expect(current).to_have_attribute("href", target or "")
    assert watch.problems() == []


@pytest.mark.browser
def test_newsletter_form_works_with_the_keyboard(
    server: NetlifyServer, open_page: OpenPage
) -> None:
    watch = open_page()
    page = watch.page
    page.goto(server.url("/"))
    form = newsletter_form(page)
    before = len(server.state.received())
    for _ in range(150):
        page.keyboard.press("Tab")
        if focused(page)["name"] == "email":
            break
    email = focused(page)
    assert email["name"] == "email", "Tab never reached the email field"
    assert_focus_visible(email)

    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    button = focused(page)
    assert button["tag"] == "button" and button["type"] == "submit", f"then Tab went to {button}"
    assert_focus_visible(button)
    page.keyboard.press("Enter")

    status = form.locator(".form-status")
    expect(status).to_have_text(status.get_attribute("data-success") or "<no data-success>")
    assert_newsletter_fields(only_new_submission(server, before), netlify_name(form))
    assert watch.problems() == []
