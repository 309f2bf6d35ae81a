"""The company sign-in end to end: a real OpenID provider, the dashboard with ``[auth]`` in its
secrets, Debian's chromium clicking through Streamlit's st.login / st.logout.

The provider is ``oidc-provider-mock`` (a real OIDC server: discovery, authorize form, token and
userinfo endpoints, end-session page) on a free localhost port in a thread of this process; its
authorize form takes the subject typed in, which it also hands out as the ``email`` claim. The
dashboard is ``python -m retro.ui`` on a fresh DuckDB file with a secrets file in the test's temp
folder (``--secrets.files``), never the repo's ``.streamlit/``. The provider lives on
``localhost`` and the dashboard on ``127.0.0.1``, so their cookies stay apart as they would on two hosts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser_support import VIEWPORT, StreamlitServer
from playwright.sync_api import expect

from retro.i18n import t
from retro.ui import md  # addresses are shown as text, a word joiner after "@" (no mailto link)

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000  # the first signed-in run also imports the bundled sample
LANG = "en"
EDITOR, VIEWER, STRANGER = "lead@corp.cn", "ann@corp.cn", "stranger@example.org"
UNVERIFIED = "new@corp.cn"  # at a viewer domain, but the provider says the address is not verified
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    from oidc_provider_mock import User, run_server_in_thread

    unverified = User(sub=UNVERIFIED, claims={"email": UNVERIFIED, "email_verified": False})
    with run_server_in_thread(user_claims=[unverified]) as srv:
        yield f"http://localhost:{srv.server_port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory, provider: str) -> Iterator[StreamlitServer]:
    d = tmp_path_factory.mktemp("oidc")
    secrets = d / "secrets.toml"
    srv = StreamlitServer(d / "retro.duckdb", d / "streamlit.log", args=["--secrets.files", str(secrets)],
                          env={"RETRO_EDITOR_PASSCODE": "not-asked-for"})  # [auth] replaces passcodes
    secrets.write_text(
        f"""[auth]
redirect_uri = "{srv.url}/oauth2callback"
cookie_secret = "a-cookie-secret-long-enough-for-hs256"
client_id = "retro"
client_secret = "retro-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[access]
editors = ["{EDITOR.upper()}"]
viewer_domains = ["corp.cn"]
""",
        encoding="utf-8",
    )
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def sign_in_button(page):
    return page.get_by_role("button", name=t("auth.sign_in", LANG))


def expect_only_the_sign_in(page) -> None:
    """The gate: its title and the sign-in button; no page, no navigation, no sidebar."""
    expect(sign_in_button(page)).to_be_visible()
    expect(page.get_by_role("heading", name=t("gate.title", LANG), exact=True)).to_be_visible()
    expect(page.locator("[data-testid=stSidebarNav]")).to_have_count(0)
    expect(page.locator("[data-testid=stSidebar]")).to_have_count(0)
    expect(page.locator("[data-testid=stMetric]")).to_have_count(0)
    expect(page.locator("[data-testid=stFileUploader]")).to_have_count(0)
    expect(page.get_by_role("heading", name=t("home.title", LANG), exact=True)).to_have_count(0)


def sign_in(page, provider: str, account: str) -> None:
    """Click the sign-in button, type the account at the provider's authorize form, come back."""
    sign_in_button(page).click()
    page.wait_for_url(re.compile(re.escape(provider) + r"/oauth2/authorize"))
    page.locator("input[name=sub]").fill(account)
    page.get_by_role("button", name="Authorize", exact=True).click()


def sign_out(page, provider: str) -> None:
    """The sidebar's (or the refusal's) sign-out: Streamlit clears its cookie and sends the browser to
    the provider's end-session page, which comes back to the dashboard."""
    page.get_by_role("button", name=t("auth.sign_out", LANG)).click()
    page.wait_for_url(re.compile(re.escape(provider) + r"/oauth2/end_session"))
    page.get_by_role("button", name="End session").click()
    expect_only_the_sign_in(page)


def go(page, nav_key: str) -> None:
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=t(nav_key, LANG), exact=True).click()


def test_sign_in_with_the_provider_gives_each_account_its_role(chromium, server, provider):
    context = chromium.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/?lang={LANG}")
        expect_only_the_sign_in(page)
        expect(page.get_by_label(t("gate.passcode", LANG))).to_have_count(0)  # no passcode form
        page.goto(f"{server.url}/trends?lang={LANG}")  # a page opened directly is gated too
        expect_only_the_sign_in(page)
        expect(page.get_by_role("heading", name=t("nav.trends", LANG), exact=True)).to_have_count(0)

        # The editor: back on the home page, named in the sidebar, and the import page can upload.
        sign_in(page, provider, EDITOR)
        page.wait_for_url(re.compile(re.escape(server.url)))
        expect(page.get_by_role("heading", name=t("home.title", LANG), exact=True)).to_be_visible()
        sidebar = page.locator("[data-testid=stSidebar]")
        expect(sidebar.get_by_text(t("gate.signed_in", LANG, who=md(EDITOR), role=t("gate.role.editor", LANG)))).to_be_visible()
        page.get_by_test_id("stExpander").filter(has_text=t("home.inventory", LANG)).locator("summary").click()
        expect(page.get_by_test_id("stExpander").filter(has_text=t("home.inventory", LANG))
               .get_by_test_id("stDataFrame")).to_be_visible()  # the clear button sits in the folded inventory
        expect(page.get_by_role("button", name=t("home.clear_sample", LANG))).to_be_visible()
        go(page, "nav.import")
        expect(page.locator("[data-testid=stFileUploader]")).to_be_visible()
        sign_out(page, provider)

        # A viewer by domain: the data, no upload.
        sign_in(page, provider, VIEWER)
        expect(page.get_by_role("heading", name=t("home.title", LANG), exact=True)).to_be_visible()
        expect(sidebar.get_by_text(t("gate.signed_in", LANG, who=md(VIEWER), role=t("gate.role.viewer", LANG)))).to_be_visible()
        page.get_by_test_id("stExpander").filter(has_text=t("home.inventory", LANG)).locator("summary").click()
        expect(page.get_by_test_id("stExpander").filter(has_text=t("home.inventory", LANG))
               .get_by_test_id("stDataFrame")).to_be_visible()  # the clear button sits in the folded inventory
        expect(page.get_by_role("button", name=t("home.clear_sample", LANG))).to_have_count(0)
        go(page, "nav.import")
        expect(page.get_by_text(t("import.viewer", LANG))).to_be_visible()
        expect(page.locator("[data-testid=stFileUploader]")).to_have_count(0)
        sign_out(page, provider)

        # An account on no list: refused, told so, nothing else; it can sign out again.
        sign_in(page, provider, STRANGER)
        expect(page.get_by_text(t("auth.refused", LANG, who=md(STRANGER)))).to_be_visible()
        expect(page.get_by_role("heading", name=t("home.title", LANG), exact=True)).to_have_count(0)
        expect(page.locator("[data-testid=stSidebarNav]")).to_have_count(0)
        expect(page.locator("[data-testid=stMetric]")).to_have_count(0)
        sign_out(page, provider)

        # An address the provider marks unverified (email_verified: false in its ID token): refused,
        # though its domain is a viewer domain.
        sign_in(page, provider, UNVERIFIED)
        expect(page.get_by_text(t("auth.refused_unverified", LANG, who=md(UNVERIFIED)))).to_be_visible()
        expect(page.locator("[data-testid=stSidebarNav]")).to_have_count(0)
        expect(page.locator("[data-testid=stMetric]")).to_have_count(0)
        sign_out(page, provider)
        expect(page.locator("[data-testid=stException]")).to_have_count(0)
    finally:
        context.close()
    assert "Traceback" not in server.log()
