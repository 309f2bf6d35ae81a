"""Passcodes and the viewer role: the gate blocks every page, and viewers' writes are refused in retro/."""

from __future__ import annotations

from pathlib import Path

import pytest

from retro import access
from retro.i18n import t
from retro.ui import md  # addresses are shown as text: md() keeps remark-gfm from linking them

APP = Path(__file__).resolve().parent.parent / "app.py"
pytestmark = pytest.mark.usefixtures("navigation_only")


@pytest.fixture(autouse=True)
def _editor_again():
    yield
    access.set_role(access.EDITOR)


def test_passcodes_come_from_the_environment_or_secrets():
    assert access.passcodes({}) == {}
    env = {"RETRO_EDITOR_PASSCODE": "e-123", "RETRO_VIEWER_PASSCODE": "v-456"}
    assert access.passcodes(env) == {"editor": "e-123", "viewer": "v-456"}
    assert access.passcodes({}, {"passcodes": {"viewer": "v"}}) == {"viewer": "v"}


def test_a_passcode_opens_its_role_only():
    codes = {"editor": "e-123", "viewer": "v-456"}
    assert access.role_for("e-123", codes) == "editor"
    assert access.role_for("v-456", codes) == "viewer"
    assert access.role_for("", codes) is None and access.role_for("e-12", codes) is None
    assert access.role_for("e-123", {"viewer": "v-456"}) is None


def test_a_viewer_changes_nothing_even_past_the_pages(db, tmp_path):
    from conftest import load_csv

    load_csv(db, tmp_path, "a.csv", "月份,区域,销售额\n2026-01,华东,10\n")
    before = db.scalar("SELECT count(*) FROM fact_rows")
    access.set_role(access.VIEWER)
    with pytest.raises(access.ReadOnly):
        load_csv(db, tmp_path, "b.csv", "月份,区域,销售额\n2026-02,华东,12\n")
    from retro import metrics as M

    with pytest.raises(access.ReadOnly):
        M.add_annotation(db, "销售额", __import__("datetime").date(2026, 1, 1), "note")
    assert db.scalar("SELECT count(*) FROM fact_rows") == before
    assert M.series(db, "销售额")["value"].tolist() == [10]  # reading works (and syncs the catalog)


def _app(monkeypatch, **env):
    from streamlit.testing.v1 import AppTest

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "en"
    return at.run()


def _enter(at, passcode: str):
    at.text_input[0].set_value(passcode)
    at.button[0].click()
    return at.run()


CODES = {"RETRO_EDITOR_PASSCODE": "edit-me", "RETRO_VIEWER_PASSCODE": "look-only"}


def test_the_gate_blocks_every_page_until_a_passcode(monkeypatch):
    at = _app(monkeypatch, **CODES)
    assert [x.value for x in at.title] == [t("gate.title", "en")]
    assert not at.sidebar.selectbox and not at.main.dataframe  # no data before the gate
    at.switch_page("pages/history.py").run()
    assert [x.value for x in at.title] == [t("gate.title", "en")]  # a page opened directly is gated too
    _enter(at, "wrong")
    assert t("gate.wrong", "en") in [e.value for e in at.error]
    assert [x.value for x in at.title] == [t("gate.title", "en")]


def test_a_viewer_sees_the_data_but_no_upload_or_undo(monkeypatch):
    at = _enter(_app(monkeypatch, **CODES), "look-only")
    assert at.title[0].value == t("nav.home", "en") or at.title[0].value == t("home.title", "en")
    assert not [b for b in at.button if b.key == "clear_sample"]
    at.switch_page("pages/import_data.py").run()
    assert not at.get("file_uploader")
    assert t("import.viewer", "en") in [i.value for i in at.info]
    at.switch_page("pages/history.py").run()
    assert not [b for b in at.button if b.key == "undo"]


def test_an_editor_can_upload(monkeypatch):
    at = _enter(_app(monkeypatch, **CODES), "edit-me")
    at.switch_page("pages/import_data.py").run()
    assert at.get("file_uploader")
    assert not at.exception


# --------------------------------------------------------------------------- company sign-in (OIDC)

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-cookie-secret-for-tests",
    "client_id": "retro",
    "client_secret": "retro-secret",
    "server_metadata_url": "http://localhost:9400/.well-known/openid-configuration",
}
ACCESS = {"editors": ["Lead@Corp.cn"], "viewers": ["cfo@partner.com"], "viewer_domains": ["corp.cn"]}


def test_sign_in_is_configured_by_an_auth_table_only():
    assert access.oidc_configured({"auth": AUTH}) is True
    assert access.oidc_configured({"passcodes": {"editor": "x"}}) is False
    assert access.oidc_configured({"auth": {}}) is False and access.oidc_configured(None) is False
    assert access.oidc_configured({"auth": "not a table"}) is False


def test_editors_by_address_case_insensitive():
    rules = access.access_rules({"access": ACCESS})
    assert access.role_for_account("lead@corp.cn", rules) == "editor"
    assert access.role_for_account("  LEAD@CORP.CN ", rules) == "editor"


def test_viewers_by_address_or_domain():
    rules = access.access_rules({"access": ACCESS})
    assert access.role_for_account("cfo@partner.com", rules) == "viewer"
    assert access.role_for_account("Someone@CORP.cn", rules) == "viewer"  # a viewer domain
    assert access.role_for_account("x@sub.corp.cn", rules) is None  # the domain exactly, not its subdomains
    assert access.role_for_account("x@notcorp.cn", rules) is None
    assert access.role_for_account("other@partner.com", rules) is None  # partner.com is no viewer domain


def test_editor_wins_over_a_viewer_domain():
    rules = access.access_rules({"access": {"editors": ["lead@corp.cn"], "viewer_domains": ["@corp.cn"]}})
    assert access.role_for_account("lead@corp.cn", rules) == "editor"
    assert access.role_for_account("ann@corp.cn", rules) == "viewer"  # "@corp.cn" means corp.cn


def test_nobody_gets_in_without_an_access_table_or_an_address():
    rules = access.access_rules({"auth": AUTH})
    assert rules == {"editors": set(), "viewers": set(), "viewer_domains": set()}
    assert access.role_for_account("lead@corp.cn", rules) is None
    full = access.access_rules({"access": ACCESS})
    assert access.role_for_account(None, full) is None
    assert access.role_for_account("", full) is None and access.role_for_account("lead", full) is None


def test_an_unverified_address_opens_nothing():
    rules = access.access_rules({"access": ACCESS})
    assert access.role_for_account("lead@corp.cn", rules, email_verified=False) is None
    assert access.role_for_account("lead@corp.cn", rules, email_verified=True) == "editor"
    assert access.role_for_account("lead@corp.cn", rules, email_verified=None) == "editor"  # claim not sent


ISSUER = "http://localhost:9400"  # what AUTH's server_metadata_url names as the provider


def test_email_verified_must_be_true_when_the_provider_sends_it():
    rules = access.access_rules({"access": ACCESS})
    for claim in (False, "false", "False", 0, "", "no"):
        assert access.role_for_account("lead@corp.cn", rules, email_verified=claim) is None, claim
    assert access.role_for_account("lead@corp.cn", rules, email_verified="true") == "editor"  # Cognito-style
    secrets = {"auth": AUTH, "access": ACCESS}
    claims = {"email": "lead@corp.cn", "iss": ISSUER}
    assert access.account_refusal({**claims, "email_verified": "false"}, secrets) == "unverified"
    assert access.role_for_claims({**claims, "email_verified": True}, secrets) == "editor"


def test_the_token_must_come_from_the_configured_issuer():
    secrets = {"auth": AUTH, "access": ACCESS}
    lead = {"email": "lead@corp.cn", "email_verified": True}
    assert access.expected_issuer(secrets) == ISSUER
    assert access.role_for_claims({**lead, "iss": ISSUER}, secrets) == "editor"
    assert access.role_for_claims({**lead, "iss": ISSUER + "/"}, secrets) == "editor"  # a trailing slash is the same
    for other in ("http://evil.example/", "http://localhost:9401", None):
        assert access.account_refusal({**lead, "iss": other}, secrets) == "issuer", other
        assert access.role_for_claims({**lead, "iss": other}, secrets) is None
    # [access] issuer overrides the one derived from the metadata URL
    pinned = {"auth": AUTH, "access": {**ACCESS, "issuer": "https://idp.corp.cn/realms/corp"}}
    assert access.role_for_claims({**lead, "iss": "https://idp.corp.cn/realms/corp"}, pinned) == "editor"
    assert access.account_refusal({**lead, "iss": ISSUER}, pinned) == "issuer"
    assert access.account_refusal({**lead, "iss": ISSUER, "email": "x@nowhere.org"}, secrets) == "not_listed"


MS = "https://login.microsoftonline.com"
CORP_TID, OTHER_TID = "11111111-2222-3333-4444-555555555555", "99999999-8888-7777-6666-555555555555"


def test_a_multi_tenant_microsoft_endpoint_needs_the_tenant_listed():
    auth = {**AUTH, "server_metadata_url": f"{MS}/common/v2.0/.well-known/openid-configuration"}
    open_to_all = {"auth": auth, "access": ACCESS}
    listed = {"auth": auth, "access": {**ACCESS, "tenants": [CORP_TID.upper()]}}
    lead = {"email": "lead@corp.cn"}  # Entra sends no email_verified: the tenant is what vouches for it
    ours = {**lead, "tid": CORP_TID, "iss": f"{MS}/{CORP_TID}/v2.0"}
    # Any tenant's admin can name a user lead@corp.cn: without a tenant list nobody is let in ...
    assert access.account_refusal(ours, open_to_all) == "tenant"
    assert access.oidc_ready_to_share(open_to_all) is False and access.oidc_ready_to_share(listed) is True
    # ... with it, only the listed tenant, and its own issuer
    assert access.role_for_claims(ours, listed) == "editor"
    theirs = {**lead, "tid": OTHER_TID, "iss": f"{MS}/{OTHER_TID}/v2.0"}
    assert access.account_refusal(theirs, listed) == "tenant"
    assert access.account_refusal({**lead, "iss": f"{MS}/{CORP_TID}/v2.0"}, listed) == "tenant"  # no tid
    assert access.account_refusal({**ours, "iss": f"{MS}/{OTHER_TID}/v2.0"}, listed) == "issuer"
    # a one-tenant endpoint: its issuer is the check (and tenants, when listed)
    single = {"auth": {**AUTH, "server_metadata_url": f"{MS}/{CORP_TID}/v2.0/.well-known/openid-configuration"},
              "access": ACCESS}
    assert access.role_for_claims(ours, single) == "editor"
    assert access.account_refusal(theirs, single) == "issuer"


def test_a_token_from_another_issuer_is_refused_on_the_page(monkeypatch):
    at = _signed_in_app(monkeypatch, {"is_logged_in": True, "email": "lead@corp.cn", "email_verified": True,
                                      "iss": "http://evil.example"})
    assert [e.value for e in at.error] == [t("auth.refused_issuer", "en", who=md("lead@corp.cn"))]
    assert [b.label for b in at.button] == [t("auth.sign_out", "en")]
    assert not at.sidebar.selectbox and not at.metric and not at.exception


def test_a_single_address_instead_of_a_list_is_understood():
    rules = access.access_rules({"access": {"editors": "lead@corp.cn", "viewers": 42}})
    assert access.role_for_account("lead@corp.cn", rules) == "editor"
    assert rules["viewers"] == set()


def test_share_needs_the_auth_keys_and_an_editor():
    assert access.oidc_ready_to_share({"auth": AUTH, "access": ACCESS}) is True
    assert access.oidc_ready_to_share({"auth": AUTH}) is False  # nobody could edit
    assert access.oidc_ready_to_share({"auth": {**AUTH, "client_secret": ""}, "access": ACCESS}) is False
    assert access.oidc_ready_to_share({"access": ACCESS}) is False


def _signed_in_app(monkeypatch, user: dict, **env):
    """The app with [auth] and [access] in its secrets, st.user seeded as AppTest does for a session."""
    from streamlit.testing.v1 import AppTest

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets = {"auth": AUTH, "access": ACCESS}
    at.user = {"iss": ISSUER, **user} if user.get("is_logged_in") else user  # a real token names its issuer
    at.query_params["lang"] = "en"
    return at.run()


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_with_sign_in_configured_nobody_signed_in_sees_only_the_button(monkeypatch):
    at = _signed_in_app(monkeypatch, {"is_logged_in": False}, **CODES)
    assert [x.value for x in at.title] == [t("gate.title", "en")]
    assert [b.label for b in at.button] == [t("auth.sign_in", "en")]
    assert not at.text_input  # the passcodes are configured too, but the sign-in replaces them
    assert not at.sidebar.selectbox and not at.main.dataframe and not at.metric
    at.switch_page("pages/trends.py").run()
    assert [x.value for x in at.title] == [t("gate.title", "en")]  # a page opened directly is gated too
    assert [b.label for b in at.button] == [t("auth.sign_in", "en")]
    assert not at.exception


def test_a_signed_in_editor_sees_the_pages_and_can_sign_out(monkeypatch):
    at = _signed_in_app(monkeypatch, {"is_logged_in": True, "email": "LEAD@corp.cn", "name": "Li Lei"})
    assert at.title[0].value == t("home.title", "en")
    signed_in = t("gate.signed_in", "en", who=md("lead@corp.cn"), role=t("gate.role.editor", "en"))
    assert signed_in in [c.value for c in at.sidebar.caption]
    assert _captions(at).count(signed_in) == 1  # shown once, not again by the sidebar
    assert [b for b in at.button if b.key == "clear_sample"]
    at.switch_page("pages/import_data.py").run()
    assert at.get("file_uploader")
    at.button(key="_sign_out").click().run()
    assert at.user.get("is_logged_in") is False
    at.run()
    assert [b.label for b in at.button] == [t("auth.sign_in", "en")]
    assert not at.exception


def test_a_signed_in_viewer_cannot_upload(monkeypatch):
    at = _signed_in_app(monkeypatch, {"is_logged_in": True, "email": "ann@corp.cn"})
    assert t("gate.signed_in", "en", who=md("ann@corp.cn"), role=t("gate.role.viewer", "en")) in _captions(at)
    assert not [b for b in at.button if b.key == "clear_sample"]
    at.switch_page("pages/import_data.py").run()
    assert not at.get("file_uploader")
    assert t("import.viewer", "en") in [i.value for i in at.info]
    assert not at.exception


def test_an_account_on_no_list_is_refused_with_a_way_out(monkeypatch):
    at = _signed_in_app(monkeypatch, {"is_logged_in": True, "email": "stranger@gmail.com"})
    assert [e.value for e in at.error] == [t("auth.refused", "en", who=md("stranger@gmail.com"))]
    assert [b.label for b in at.button] == [t("auth.sign_out", "en")]
    assert not at.sidebar.selectbox and not at.metric
    at.switch_page("pages/history.py").run()
    assert [e.value for e in at.error] == [t("auth.refused", "en", who=md("stranger@gmail.com"))]
    unverified = _signed_in_app(monkeypatch, {"is_logged_in": True, "email": "lead@corp.cn", "email_verified": False})
    assert [e.value for e in unverified.error] == [t("auth.refused_unverified", "en", who=md("lead@corp.cn"))]
    no_email = _signed_in_app(monkeypatch, {"is_logged_in": True, "sub": "12345"})
    assert [e.value for e in no_email.error] == [t("auth.no_email", "en")]
