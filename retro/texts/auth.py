"""Catalog entries for signing in with a company account (merged into retro.i18n.CATALOG)."""

TEXT: dict[str, dict[str, str]] = {
    # The gate when an OIDC provider is configured ([auth] in secrets.toml): st.login, not passcodes.
    "auth.body": {
        "zh": "请用公司账号登录。编辑可以导入和修改数据，只读用户只能浏览。",
        "en": "Sign in with your company account. Editors import and change data; viewers only look.",
    },
    "auth.sign_in": {"zh": "用公司账号登录", "en": "Sign in with your company account"},
    "auth.sign_out": {"zh": "退出登录", "en": "Sign out"},
    "auth.refused": {
        "zh": "{who} 已登录，但没有权限打开这个看板。请联系看板负责人，把你的邮箱加入 secrets.toml 的 [access] 名单。",
        "en": "{who} is signed in but has no access to this dashboard. Ask the dashboard's owner to add your "
              "address to the [access] lists in secrets.toml.",
    },
    "auth.refused_unverified": {
        "zh": "{who} 已登录，但身份提供方说明这个邮箱未经验证，所以不能据此授权。",
        "en": "{who} is signed in, but the identity provider says this e-mail address is not verified, "
              "so it cannot grant access.",
    },
    "auth.refused_issuer": {
        "zh": "{who} 已登录，但这个账号来自另一个身份提供方，不是看板配置的那个，所以不能据此授权。请用公司账号登录。",
        "en": "{who} is signed in, but through another identity provider than the one this dashboard is set up "
              "with, so it cannot grant access. Sign in with your company account.",
    },
    "auth.refused_tenant": {
        "zh": "{who} 已登录，但这个账号所属的组织（租户）不在允许名单里。请联系看板负责人，把组织的租户 ID 加入 "
              "secrets.toml 的 [access] tenants。",
        "en": "{who} is signed in, but the account belongs to an organisation (tenant) that is not allowed. Ask the "
              "dashboard's owner to add its tenant ID to [access] tenants in secrets.toml.",
    },
    "auth.no_email": {
        "zh": "已登录，但身份提供方没有提供邮箱地址，无法确定你的权限。请联系看板负责人。",
        "en": "You are signed in, but the identity provider gave no e-mail address, so your access cannot be "
              "decided. Ask the dashboard's owner.",
    },
    # The door in front of the server (retro.ui.http_gate) and what `make share` checks (retro.guard).
    "gate.wait": {"zh": "试错次数太多，请 {seconds} 秒后再试。", "en": "Too many wrong tries: try again in {seconds} s."},
    "gate.sign_out": {"zh": "退出", "en": "Sign out"},
    "gate.check.no_editor": {
        "zh": "没有编辑口令：请设置 RETRO_EDITOR_PASSCODE（或 secrets.toml 的 [passcodes]）。",
        "en": "No editor passcode: set RETRO_EDITOR_PASSCODE (or [passcodes] in secrets.toml).",
    },
    "gate.check.short": {
        "zh": "口令太短：局域网共享时每个口令至少 {min} 个字符。",
        "en": "A passcode is too short: to share on the network each needs at least {min} characters.",
    },
    "gate.check.equal": {
        "zh": "编辑口令和查看口令相同：这样每个查看者都能修改数据。请设置两个不同的口令。",
        "en": "The editor and viewer passcodes are the same, which would make every viewer an editor: set two different ones.",
    },
    "gate.check.oidc": {
        "zh": "secrets.toml 的 [auth] 需要 redirect_uri、cookie_secret、client_id、client_secret、server_metadata_url，"
              "[access] 的 editors 至少要有一个地址（见 .streamlit/secrets.example.toml）。",
        "en": "[auth] in .streamlit/secrets.toml needs redirect_uri, cookie_secret, client_id, client_secret, "
              "server_metadata_url, and [access] needs at least one address in editors (see .streamlit/secrets.example.toml).",
    },
    "gate.tls": {
        "zh": "证书指纹（SHA-256），同事第一次打开时核对：{fingerprint}",
        "en": "Certificate fingerprint (SHA-256), for colleagues to compare the first time: {fingerprint}",
    },
}
