"""The pages' settings and security headers, shared by the web stack (infra/stacks/web.py) and the
local page server (local/web.py) so the two never drift. No CDK import: the local tools load it
without starting jsii."""

from __future__ import annotations

from pathlib import Path

from anshin.domain.screening import CURRENT_TERMS_VERSION
from anshin.settings import STAFF_GROUP

ROOT = Path(__file__).resolve().parents[1]
#: The security headers of every answer (CloudFront's response headers policy, the local server).
SECURITY_HEADERS_FILE = ROOT / "web" / "security-headers.json"
#: Where the page finds the terms it shows (``make web`` copies docs/terms there).
TERMS_DOCUMENT = "terms/smartphone-support-terms.ja.txt"


#: The staff console's page: the sign-in client's callback and sign-out address.
CONSOLE_PAGE = "console.html"


def console_url(site: str) -> str:
    """The console's address on the site ``site`` (``https://d111.cloudfront.net``, no slash)."""
    return f"{site.rstrip('/')}/{CONSOLE_PAGE}"


#: The pages a member signs in on (issue 23): the members' client's callback and sign-out
#: addresses, each exactly as the browser has it (``/`` and ``/index.html`` are the same page).
MEMBER_PAGES = ("", "index.html", "status.html", "mypage.html")


def member_pages(site: str) -> list[str]:
    """The member pages' addresses on the site ``site`` (no trailing slash)."""
    return [f"{site.rstrip('/')}/{page}" for page in MEMBER_PAGES]


def member_sign_in(domain: str, issuer: str, client_id: str) -> dict[str, str]:
    """What the member pages' OIDC client (oidc-client-ts) needs of the members user pool's
    managed login at ``domain``: the same endpoints as the console's (:func:`staff_sign_in`)."""
    settings = staff_sign_in(domain, issuer, client_id)
    del settings["staffGroup"]
    return settings


def staff_sign_in(domain: str, issuer: str, client_id: str) -> dict[str, str]:
    """What the console's OIDC client (oidc-client-ts) needs of the staff user pool's managed
    login at ``domain`` (its base URL): the endpoints are given, not discovered, because Cognito's
    discovery document has no sign-out endpoint (``/logout`` takes ``client_id`` and
    ``logout_uri``)."""
    base = domain.rstrip("/")
    return {
        "issuer": issuer,
        "clientId": client_id,
        "authorizationEndpoint": f"{base}/oauth2/authorize",
        "tokenEndpoint": f"{base}/oauth2/token",
        "revocationEndpoint": f"{base}/oauth2/revoke",
        "logoutEndpoint": f"{base}/logout",
        # Whom the console lets in; the API checks the same group again on every staff route.
        "staffGroup": STAFF_GROUP,
    }


def page_config(
    api_base: str, sign_in: dict[str, str] | None = None, member_sign_in: dict[str, str] | None = None
) -> dict[str, object]:
    """The page's settings document, ``/config.json``, written at deploy time (never baked in);
    ``sign_in``: the console's (:func:`staff_sign_in`); ``member_sign_in``: the member pages'
    (:func:`member_sign_in`)."""
    config: dict[str, object] = {
        "apiBase": api_base,
        "termsVersion": CURRENT_TERMS_VERSION,
        "termsDocument": TERMS_DOCUMENT,
    }
    if sign_in is not None:
        config["staffSignIn"] = sign_in
    if member_sign_in is not None:
        config["memberSignIn"] = member_sign_in
    return config


def content_security_policy(policy: str, *sign_in_domains: str) -> str:
    """``policy`` with the sign-in domains (staff, members) added to ``connect-src``: the pages
    exchange the sign-in's code for tokens there, and refresh and revoke them (the browser only
    navigates to the sign-in page itself)."""
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    origins = " ".join(d.rstrip("/") for d in sign_in_domains)
    added = [f"{d} {origins}" if d.startswith("connect-src ") else d for d in directives]
    if added == directives:
        raise ValueError("the content security policy has no connect-src to add the sign-in domain to")
    return "; ".join(added)
