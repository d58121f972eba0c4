"""What may be shown of a database URL: where it points, never who connects or with what.

A URL carries credentials in its user info and in query parameters libpq reads (`password`,
`sslpassword`, `sslkey`, `sslcert`, `passfile`, `service`, ...). `shown_url` keeps the driver,
host, port, database and the few parameters that cannot hold one, and masks the value of every
other; `url_credentials` lists the secret values a log line must never contain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

# Query parameters that never hold a credential; every other one's value is masked.
HARMLESS_PARAMETERS = frozenset(
    {"sslmode", "connect_timeout", "application_name", "target_session_attrs", "host", "port"}
)
MASK = "***"


def _parameters(url: URL) -> list[tuple[str, str]]:
    return [
        (key, value)
        for key, values in url.query.items()
        for value in (values if isinstance(values, tuple) else (values,))
    ]


def shown_url(url: URL) -> str:
    """The URL without its user name and password, every credential-bearing parameter masked."""
    base = url._replace(username=None, password=None, query={}).render_as_string(
        hide_password=False
    )
    shown = [
        f"{key}={value if key in HARMLESS_PARAMETERS else MASK}" for key, value in _parameters(url)
    ]
    return base + ("?" + "&".join(shown) if shown else "")


def url_credentials(url: URL) -> list[str]:
    """The password and the credential-bearing parameter values the URL carries (the user name is
    not secret, only not shown: it is often a word like 'postgres')."""
    values = [url.password] + [
        value for key, value in _parameters(url) if key not in HARMLESS_PARAMETERS
    ]
    return [value for value in values if value]
