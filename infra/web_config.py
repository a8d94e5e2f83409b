"""The pages' settings and security headers, shared by the web stack (infra/stacks/web.py) and the
local page server (local/web.py) so the two never drift. No CDK import: the local tools load it
without starting jsii."""

from __future__ import annotations

from pathlib import Path

from anshin.domain.screening import CURRENT_TERMS_VERSION

ROOT = Path(__file__).resolve().parents[1]
#: The security headers of every answer (CloudFront's response headers policy, the local server).
SECURITY_HEADERS_FILE = ROOT / "web" / "security-headers.json"
#: Where the page finds the terms it shows (``make web`` copies docs/terms there).
TERMS_DOCUMENT = "terms/smartphone-support-terms.ja.txt"


def page_config(api_base: str) -> dict[str, str]:
    """The page's settings document, ``/config.json``, written at deploy time (never baked in)."""
    return {"apiBase": api_base, "termsVersion": CURRENT_TERMS_VERSION, "termsDocument": TERMS_DOCUMENT}
