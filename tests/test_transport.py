"""The transport and its URL policy: where a provider's requests may go, what goes with them, and
deadlines that hold against a server that drips. Real servers on 127.0.0.1; no DNS beyond localhost."""

from __future__ import annotations

import base64
import re
import time

import pytest

from pipeline.fakes.providers import fake
from pipeline.fakes.providers.base import Relay
from pipeline.generate.errors import ConnectFailed, DeadlineExceeded, TimedOut, TooLarge, UrlRefused
from pipeline.generate.policy import UrlPolicy
from pipeline.generate.transport import Transport
from pipeline.providers.base import Call

KEY = "sk-transport-test-0123456789"
OWN = "http://127.0.0.1:8000/v1"


def policy(base: str = OWN, *, allow_http: bool = True, also: tuple[str, ...] = ()) -> UrlPolicy:
    keyed = {"Authorization": f"Bearer {KEY}", "X-Custom-Key": KEY[::-1], "Accept": "application/json"}
    keyless = {"Accept": "application/json"}
    return UrlPolicy.build("p", base, allow_http=allow_http, keyed=keyed, keyless=keyless, key=KEY, also=also)


@pytest.mark.parametrize("url, words", [
    ("http://127.0.0.1:8001/files/a.png", "a loopback address"),          # another port is another origin
    ("http://localhost:8000/v1/x", "a loopback address"),                 # another name too (checked after DNS)
    ("http://[::1]:8000/x", "a loopback address"),
    ("http://[::ffff:127.0.0.1]/x", "a loopback address"),
    ("http://10.1.2.3/x", "a private address"),
    ("http://192.168.1.20:9000/x", "a private address"),
    ("http://172.16.5.4/x", "a private address"),
    ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
    ("http://[fd00:ec2::254]/latest/", "a cloud metadata address"),
    ("http://100.100.100.200/latest/meta-data/", "a cloud metadata address"),
    ("http://100.64.0.7/x", "not a public address"),
    ("http://169.254.1.1/x", "a link-local address"),
    ("http://224.0.0.251/x", "a multicast address"),
    ("http://0.0.0.0:8000/x", "a reserved address"),
    ("http://user:secret@127.0.0.1:8000/v1/x", "a user name or password"),  # even on its own origin
    ("http://@127.0.0.1:8000/v1/x", "a user name or password"),
    ("ftp://127.0.0.1/x", "not an http(s) URL"),
    ("file:///etc/passwd", "not an http(s) URL"),
])
def test_urls_the_policy_refuses(url, words):
    with pytest.raises(UrlRefused, match=re.escape(words)) as caught:
        policy().target(url)
    assert "secret" not in str(caught.value) and caught.value.sent is False


def test_https_only_unless_allowed():
    with pytest.raises(UrlRefused, match="only https is allowed"):
        policy("https://api.example.com/v1", allow_http=False).target("http://93.184.216.34/x.png")
    assert policy("https://api.example.com/v1", allow_http=False).target("https://93.184.216.34/x.png").ip \
        == "93.184.216.34"


def test_own_origin_and_listed_origins_may_be_private():
    own = policy().target("http://127.0.0.1:8000/v1/predictions/1")
    assert own.own and own.ip == "127.0.0.1" and own.host_header == "127.0.0.1:8000"
    listed = policy(also=("http://10.1.2.3:9000",)).target("http://10.1.2.3:9000/bucket/a.png")
    assert not listed.own and listed.ip == "10.1.2.3"
    public = policy().target("https://93.184.216.34/out-0.png")
    assert not public.own and public.host_header == "93.184.216.34" and public.path == "/out-0.png"


def test_the_key_goes_only_to_the_providers_own_origin():
    pol = policy()
    headers = {"Authorization": f"Bearer {KEY}", "X-Custom-Key": KEY[::-1], "Accept": "application/json",
               "X-Api-Key": "x", "Cookie": "c"}
    assert pol.headers_for(pol.target("http://127.0.0.1:8000/v1/x"), headers) == headers
    assert pol.headers_for(pol.target("https://93.184.216.34/x"), headers) == {"Accept": "application/json"}


@pytest.fixture
def server():
    s = fake("openai", key=KEY, drip_s=0.2).start()
    yield s
    s.stop()


def call(server, path: str = "/images/generations", **json) -> Call:
    body = {"model": "gpt-image-1", "prompt": "a kite", "size": "1024x1024"} | json
    return Call("POST", server.base_url + path, {"Authorization": f"Bearer {KEY}",
                                                 "Content-Type": "application/json"}, body)


@pytest.mark.parametrize("timeout_s, left_s, error", [(1.0, 30.0, TimedOut), (30.0, 1.0, DeadlineExceeded)])
def test_a_dripping_answer_is_cut_at_the_shorter_limit(server, timeout_s, left_s, error):
    server.inject("drip")
    start = time.monotonic()
    with pytest.raises(error) as caught:
        Transport().send(call(server), policy(server.base_url), timeout_s=timeout_s, left_s=left_s, max_bytes=10**8)
    assert 0.95 < time.monotonic() - start < 3.0   # the limit, and room for a loaded machine
    assert caught.value.sent is True
    assert (type(caught.value) is DeadlineExceeded) == (error is DeadlineExceeded)


def test_answers_over_the_cap_are_refused_while_streaming(server):
    with pytest.raises(TooLarge, match="over the 1,000-byte cap"):
        Transport().send(call(server), policy(server.base_url), timeout_s=5, left_s=5, max_bytes=1_000)


def test_nothing_is_sent_when_nothing_listens():
    with pytest.raises(ConnectFailed) as caught:
        Transport().send(Call("POST", "http://127.0.0.1:9/v1/x"), policy("http://127.0.0.1:9"), timeout_s=5,
                         left_s=5, max_bytes=100)
    assert caught.value.sent is False


def test_redirects_are_followed_by_hand_and_the_key_is_dropped_off_origin(server):
    """A result file that redirects to an origin the user allowed: fetched there, without the key."""
    store = fake("openai").start()                        # where the file really is, behind a relay
    relay = Relay(store.url).start()
    try:
        token = store.file_url(b"the picture").rsplit("/", 1)[1]
        server.redirect_files = relay.url
        pol = UrlPolicy.build("openai", server.base_url, allow_http=True, keyed={"Authorization": f"Bearer {KEY}"},
                              keyless={}, key=KEY, also=(relay.url,))
        answer = Transport().send(Call("GET", f"{server.url}/files/{token}", {"Authorization": f"Bearer {KEY}"}),
                                  pol, timeout_s=5, left_s=5, max_bytes=10**6)
        assert answer.status == 200 and answer.body == b"the picture"
        assert server.seen[0].headers["authorization"] == f"Bearer {KEY}"       # its own origin: with the key
        assert len(relay.seen) == 1 and "authorization" not in relay.seen[0].headers
    finally:
        relay.stop()
        store.stop()


def test_a_redirect_loop_ends(server):
    server.redirect_files = server.url                   # /files/x → /files/x → …
    with pytest.raises(UrlRefused, match="more than 3 redirects"):
        Transport().send(Call("GET", server.file_url(b"x")), policy(server.base_url), timeout_s=5, left_s=5,
                         max_bytes=100)
    assert len([r for r in server.seen if r.path.startswith("/files/")]) == 4


def test_the_connection_goes_to_the_checked_address_and_keeps_the_name(server):
    """A base_url by name: resolved, checked, connected to by address, with the name in the Host header."""
    port = server.url.rsplit(":", 1)[1]
    base = f"http://localhost:{port}/v1"
    target = policy(base).target(base + "/models")
    assert target.own and target.ip in ("127.0.0.1", "::1")
    answer = Transport().send(Call("GET", base + "/models", {"Authorization": f"Bearer {KEY}"}), policy(base),
                              timeout_s=5, left_s=5, max_bytes=10**6)
    assert answer.status == 200 and server.seen[-1].headers["host"] == f"localhost:{port}"


def test_an_answer_that_ends_the_connection_is_read_to_its_end():
    """HTTP/1.0 or `Connection: close`: http.client closes the connection once it has the headers, while the
    body may still be on its way (here it comes 0.3 s later, in a packet of its own)."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n")
            time.sleep(0.3)
            conn.sendall(b'{"late": true}')

    threading.Thread(target=answer, daemon=True).start()
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        got = Transport().send(Call("GET", base + "/x"), policy(base), timeout_s=5, left_s=5, max_bytes=100)
    finally:
        listener.close()
    assert got.status == 200 and got.body == b'{"late": true}'


class ConnectProxy:
    """A CONNECT proxy on 127.0.0.1 that records each request's head and pipes bytes both ways; it answers
    407 unless the request carries `auth` (when given)."""

    def __init__(self, auth: str | None = None):
        import socket
        import threading

        self.heads: list[str] = []
        self._auth, self._listener = auth, socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            head = b""
            while b"\r\n\r\n" not in head:
                head += client.recv(4096)
            self.heads.append(head.decode())
            if self._auth and f"Proxy-Authorization: {self._auth}" not in head.decode():
                client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                client.close()
                continue
            host, port = head.split()[1].decode().rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                s.close()

    def stop(self) -> None:
        self._listener.close()


@pytest.fixture
def tls_server(monkeypatch):
    server = fake("openai", tls=True, key=KEY).start()
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.stop()


def test_https_goes_through_the_proxy_in_https_proxy_as_a_tunnel(tls_server, monkeypatch):
    """Operators behind a company proxy: CONNECT to the checked address, TLS inside; the proxy never sees
    the key. NO_PROXY sends it direct; plain http never goes through the proxy."""
    proxy = ConnectProxy(auth="Basic " + base64.b64encode(b"op:p@ss").decode())
    monkeypatch.setenv("HTTPS_PROXY", f"http://op:p%40ss@127.0.0.1:{proxy.port}")
    port = tls_server.base_url.rsplit(":", 1)[1].split("/")[0]
    try:
        answer = Transport().send(Call("GET", tls_server.base_url + "/models", {"Authorization": f"Bearer {KEY}"}),
                                  policy(tls_server.base_url, allow_http=False), timeout_s=5, left_s=5, max_bytes=10**6)
        assert answer.status == 200 and tls_server.seen[-1].headers["authorization"] == f"Bearer {KEY}"
        assert len(proxy.heads) == 1 and proxy.heads[0].startswith(f"CONNECT 127.0.0.1:{port} HTTP/")
        assert KEY not in proxy.heads[0] and "Bearer" not in proxy.heads[0]

        plain = fake("openai", key=KEY).start()                      # http: never through the proxy
        try:
            Transport().send(Call("GET", plain.base_url + "/models", {"Authorization": f"Bearer {KEY}"}),
                             policy(plain.base_url), timeout_s=5, left_s=5, max_bytes=10**6)
        finally:
            plain.stop()
        assert len(proxy.heads) == 1 and len(plain.seen) == 1

        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        Transport().send(Call("GET", tls_server.base_url + "/models", {"Authorization": f"Bearer {KEY}"}),
                         policy(tls_server.base_url, allow_http=False), timeout_s=5, left_s=5, max_bytes=10**6)
        assert len(proxy.heads) == 1
    finally:
        proxy.stop()


def test_a_proxy_that_refuses_is_named_without_its_password(tls_server, monkeypatch):
    proxy = ConnectProxy(auth="Basic bm90LXRoaXM=")
    monkeypatch.setenv("HTTPS_PROXY", f"http://op:hunter2@127.0.0.1:{proxy.port}")
    try:
        with pytest.raises(ConnectFailed) as caught:
            Transport().send(Call("GET", tls_server.base_url + "/models"),
                             policy(tls_server.base_url, allow_http=False), timeout_s=5, left_s=5, max_bytes=10**6)
    finally:
        proxy.stop()
    message = str(caught.value)
    assert f"through the proxy 127.0.0.1:{proxy.port}" in message and "407" in message
    assert "hunter2" not in message and caught.value.sent is False


def test_a_proxy_peitu_cannot_use_is_left_out_and_its_password_never_logged(tls_server, monkeypatch, caplog):
    monkeypatch.setenv("HTTPS_PROXY", "socks5://op:hunter2@127.0.0.1:1080")
    transport = Transport()
    assert transport.proxy is None
    answer = transport.send(Call("GET", tls_server.base_url + "/models", {"Authorization": f"Bearer {KEY}"}),
                            policy(tls_server.base_url, allow_http=False), timeout_s=5, left_s=5, max_bytes=10**6)
    assert answer.status == 200                                  # straight to the provider
    assert "socks5://127.0.0.1 is not used" in caplog.text and "hunter2" not in caplog.text
