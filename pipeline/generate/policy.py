"""Where one provider's requests may go. The router builds a `UrlPolicy` per provider; the transport asks
it about every URL, redirects included, before connecting:

- the provider's key (every header that carries it) goes only to the provider's configured origins
  (scheme, host and port of its base_url, and of the calls peitu builds from config); URLs the provider's
  answers choose (status, poll and result URLs) elsewhere are fetched without it;
- https only, unless the provider's allow_http;
- never a user name or password in the URL;
- never to a loopback, private, link-local, multicast, reserved or cloud-metadata address, unless the URL
  is on one of the provider's own origins (a self-hosted SD WebUI or ComfyUI) or on an origin the user
  listed in providers.settings.<name>.result_origins; another port on 127.0.0.1 is another origin;
- the address is checked after DNS resolution, and the connection goes to that checked address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from ..secrets import redact
from .errors import ConnectFailed, UrlRefused

Origin = tuple[str, str, int]
IP = ipaddress.IPv4Address | ipaddress.IPv6Address
PORTS = {"http": 80, "https": 443}
SECRET_HEADER = re.compile(r"(?i)authorization|api[-_]?key|token|secret|cookie|signature|x-key")
METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200",
                                                 "fd00:ec2::254")}


def shown(url: str) -> str:
    """A URL fit for a message: secrets redacted, cut short."""
    text = redact(url)
    return text if len(text) <= 100 else text[:99] + "…"


def origin(url: str) -> Origin:
    """(scheme, host, port) of a URL; UrlRefused when it has none."""
    if not isinstance(url, str):                      # an answer may hand over anything as a "URL"
        raise UrlRefused(f"refused, not a URL: {str(url)[:60]!r}")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in PORTS or not parts.hostname:
        raise UrlRefused(f"refused, not an http(s) URL: {shown(url)}")
    try:
        port = parts.port or PORTS[scheme]
    except ValueError:
        raise UrlRefused(f"refused, a bad port: {shown(url)}") from None
    return scheme, parts.hostname.lower().rstrip("."), port


def refusal(ip: IP) -> str | None:
    """Why peitu will not connect to `ip` for a URL that is not the provider's own, or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip in METADATA:
        return "a cloud metadata address"
    for test, what in ((ip.is_loopback, "a loopback address"), (ip.is_link_local, "a link-local address"),
                       (ip.is_multicast, "a multicast address"), (ip.is_unspecified or ip.is_reserved,
                                                                  "a reserved address"),
                       (ip.is_private, "a private address")):
        if test:
            return what
    return None if ip.is_global else "not a public address"


def resolve(host: str, port: int) -> list[IP]:
    """The addresses `host` resolves to (an IP literal is its own)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise ConnectFailed(f"could not resolve {host}: {err}") from None
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """A URL the policy allowed, and the checked address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    ip: str
    own: bool                      # one of the provider's own origins: its key goes along

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == PORTS[self.scheme] else f"{host}:{self.port}"


@dataclass(frozen=True)
class UrlPolicy:
    provider: str
    origins: frozenset[Origin]                              # the provider's own: its key goes only here
    allow_http: bool = False
    secrets: frozenset[str] = frozenset()                   # lower-case names of headers that carry the key
    also: frozenset[Origin] = field(default_factory=frozenset)   # result_origins: private allowed, no key

    @classmethod
    def build(cls, provider: str, base_url: str, *, allow_http: bool, keyed: dict[str, str],
              keyless: dict[str, str], key: str | None, also: Sequence[str] = ()) -> UrlPolicy:
        """`keyed` and `keyless` are the provider's headers with and without its key: every header that
        differs, holds the key, or is named like a secret is kept to the provider's origins."""
        secrets = {k.lower() for k, v in keyed.items()
                   if keyless.get(k) != v or (key and key in v) or SECRET_HEADER.search(k)}
        return cls(provider, frozenset({origin(base_url)}), allow_http, frozenset(secrets),
                   frozenset(origin(u) for u in also))

    def trusting(self, url: str) -> UrlPolicy:
        """This policy with `url`'s origin as one of the provider's own (a URL peitu built from config)."""
        return replace(self, origins=self.origins | {origin(url)})

    def target(self, url: str) -> Target:
        """Check `url` and resolve it; UrlRefused (or ConnectFailed for a name that does not resolve)."""
        scheme, host, port = where = origin(url)
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            plain = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
            raise UrlRefused(f"refused, a user name or password in a URL is never followed: {shown(plain)}")
        if scheme == "http" and not self.allow_http:
            raise UrlRefused(f"refused, only https is allowed (providers.settings.{self.provider}.allow_http "
                             f"permits plain http): {shown(url)}")
        own = where in self.origins
        addresses = resolve(host, port)
        if not own and where not in self.also:
            why = {ip: refusal(ip) for ip in addresses}
            addresses = [ip for ip in addresses if why[ip] is None]
            if not addresses:
                raise UrlRefused(f"refused, it points at {next(iter(why.values()))} that is not {self.provider}'s "
                                 f"own (providers.settings.{self.provider}.base_url): {shown(url)}")
        return Target(url, scheme, host, port, str(addresses[0]), own)

    def headers_for(self, target: Target, headers: dict[str, str]) -> dict[str, str]:
        """The headers to send to `target`: without the key unless it is the provider's own origin."""
        if target.own:
            return dict(headers)
        return {k: v for k, v in headers.items() if k.lower() not in self.secrets and not SECRET_HEADER.search(k)}
