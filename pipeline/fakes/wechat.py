"""A fake WeChat Official Account API: real HTTP on 127.0.0.1, WeChat's answers, limits and errcodes.

Serves what peitu calls (token, stable_token, material add/get/batchget/del/count, media/uploadimg,
draft add/get/update/batchget/count/delete) the way the official docs describe them, including the
traps: errors as HTTP 200 + errcode, 40164 naming the caller's IP, tokens that expire (42001) or are
superseded, daily quotas (45009), body images that must come from uploadimg (others are dropped),
`\\uXXXX` escapes stored literally, and drafts listed newest-updated first (so paging while updating
skips drafts). Faults can be injected per API. Two hooks let a test pause or kill the client at any call:
`before_call` runs before a call is handled (it may block; an exception drops the request unhandled),
`on_call` after it is done and before the answer is sent (an exception drops the answer). GET / shows the
draft box in a browser, each cover as the feed (its 2.35:1 crop) and a chat card (its 1:1 crop) show it.

Used by the tests and by `peitu sandbox`.
"""

from __future__ import annotations

import html
import io
import json
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from .server import QuietServer

SANDBOX_APPID = "wx5a9c0d1e2f3a4b6c"
SANDBOX_SECRET = "5f2b7c9e1d3a4b6c8e0f1a2b3c4d5e6f"

MMBIZ = "http://mmbiz.qpic.cn"
_MMBIZ_ID = re.compile(r"^https?://mmbiz\.qpic\.cn/(?:sz_)?mmbiz_\w+/([\w-]+)/")
_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']*)["'][^>]*>""", re.I)
_CROP = re.compile(r"^(\d+(?:\.\d{1,6})?)_(\d+(?:\.\d{1,6})?)_(\d+(?:\.\d{1,6})?)_(\d+(?:\.\d{1,6})?)$")

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40004: "invalid media type",
    40005: "invalid file type",
    40007: "invalid media_id",
    40009: "invalid image size",
    40013: "invalid appid",
    40113: "unsupported file type",
    40114: "invalid index value",
    40125: "invalid appsecret",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    44003: "empty news data",
    45001: "media size out of limit",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45005: "url size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    45110: "author size out of limit",
    47001: "data format error",
}
# daily quotas of a new account where Tencent publishes them; the rest are generous here
DEFAULT_QUOTAS = {"token": 2000, "stable_token": 500_000}
DEFAULT_MAX_ARTICLES = 8
NEWSPIC_IMAGES = 20                                # pictures in an image post (the first is its cover)
NEWSPIC_RATIOS = {"1_1": 1.0, "16_9": 16 / 9, "2.35_1": 2.35}
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


class ApiError(Exception):
    def __init__(self, errcode: int, errmsg: str | None = None):
        self.errcode, self.errmsg = errcode, errmsg or ERRMSG.get(errcode, "error")


@dataclass
class Material:
    media_id: str
    name: str
    data: bytes
    kind: str                    # image | thumb
    url: str
    width: int
    height: int
    update_time: int


@dataclass
class Draft:
    media_id: str
    news_item: list[dict[str, Any]]
    create_time: int
    update_time: int
    updates: int = 0


@dataclass
class Fault:
    errcode: int
    times: int
    after: int
    errmsg: str | None = None


@dataclass
class FakeWeChat:
    """The server and its state. `with FakeWeChat() as wx:` starts it on a random port (wx.url)."""

    appid: str = SANDBOX_APPID
    secret: str = SANDBOX_SECRET
    token_ttl: int = 7200
    quotas: dict[str, int] = field(default_factory=dict)            # api → calls per day
    whitelist: set[str] | None = None                                # caller IPs allowed (None: any)
    caller_ip: str | None = None                                     # the IP to report (default: the peer's)
    max_articles: int = DEFAULT_MAX_ARTICLES
    before_call: Callable[[str, FakeWeChat], None] | None = None     # before a call is handled (not under lock)
    on_call: Callable[[str, FakeWeChat], None] | None = None         # after a call is done, before its answer
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.tokens: dict[str, float] = {}            # token → expires at
        self.stable: str | None = None
        self.materials: dict[str, Material] = {}
        self.images: dict[str, bytes] = {}            # uploadimg id → bytes
        self.drafts: dict[str, Draft] = {}
        self.calls: Counter[str] = Counter()          # every call, by API
        self.used: Counter[str] = Counter()           # calls counted against today's quota
        self.faults: dict[str, list[Fault]] = {}
        self.dropped_images: list[str] = []           # <img src> WeChat would strip (not from uploadimg)
        self._server: QuietServer | None = None
        self._clock = 0

    # ---- control ------------------------------------------------------------------------------

    def start(self) -> FakeWeChat:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = QuietServer((self.host, self.port), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-wechat", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeWeChat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def inject(self, api: str, errcode: int, *, times: int = 1, after: int = 0, errmsg: str | None = None) -> None:
        """Answer `errcode` to the next `times` calls of `api` (e.g. "draft/update"), after `after` more succeed."""
        with self.lock:
            self.faults.setdefault(api, []).append(Fault(errcode, times, after, errmsg))

    def expire_tokens(self) -> None:
        """Every token issued so far expires now (the next call gets 42001)."""
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)
            self.stable = None

    def reset_quotas(self) -> None:
        """A new day."""
        with self.lock:
            self.used.clear()

    def add_editor_draft(self, articles: list[dict[str, Any]]) -> str:
        """A draft as an editor saves it in the MP web editor: no API checks (it may lack a cover)."""
        with self.lock:
            now = self._now()
            items = [self._stored_article(a) for a in articles]
            draft = Draft(_new_id(), items, now, now)
            self.drafts[draft.media_id] = draft
            return draft.media_id

    def add_editor_image(self, data: bytes, name: str = "editor.jpg") -> str:
        """A permanent image an editor uploaded in the MP web UI → its media_id."""
        with self.lock:
            return self._add_material(data, name, "image").media_id

    # ---- helpers ------------------------------------------------------------------------------

    def _now(self) -> int:
        """Unix seconds, strictly increasing per change so update order is well defined."""
        self._clock = max(self._clock + 1, int(time.time()))
        return self._clock

    def _issue_token(self) -> str:
        token = secrets.token_urlsafe(96)
        self.tokens[token] = time.time() + self.token_ttl
        return token

    def _add_material(self, data: bytes, name: str, kind: str) -> Material:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
        media_id = _new_id()
        fmt = _sniff(data) or "jpeg"
        url = f"{MMBIZ}/sz_mmbiz_{'jpg' if fmt == 'jpeg' else fmt}/{media_id}/0?wx_fmt={fmt}"
        m = Material(media_id, name, data, kind, url, width, height, self._now())
        self.materials[media_id] = m
        return m

    def _stored_article(self, a: dict[str, Any]) -> dict[str, Any]:
        item = {k: a.get(k, "") for k in ("title", "author", "digest", "content", "content_source_url",
                                           "thumb_media_id", "pic_crop_235_1", "pic_crop_1_1")}
        item["need_open_comment"] = int(a.get("need_open_comment") or 0)
        item["only_fans_can_comment"] = int(a.get("only_fans_can_comment") or 0)
        if a.get("article_type") == "newspic":           # a picture post: its first picture is its cover
            item.update(article_type="newspic", image_info=a["image_info"], cover_info=a.get("cover_info") or {},
                        thumb_media_id=a["image_info"]["image_list"][0]["image_media_id"])
        else:
            item["content"] = self._filter_images(str(item["content"]))
        thumb = self.materials.get(str(item["thumb_media_id"]))
        item["thumb_url"] = thumb.url if thumb else ""
        item["url"] = f"http://mp.weixin.qq.com/s?__biz=fake&tempkey={secrets.token_hex(8)}"
        return item

    def _filter_images(self, content: str) -> str:
        """WeChat drops <img> whose src did not come from media/uploadimg (or is a material URL)."""
        def keep(m: re.Match) -> str:
            src = m.group(1)
            found = _MMBIZ_ID.match(src)
            if found and (found.group(1) in self.images or found.group(1) in self.materials):
                return m.group(0)
            self.dropped_images.append(src)
            return ""
        return _IMG_SRC.sub(keep, content)

    # ---- request flow -------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes, ctype: str,
               peer: str) -> tuple[int, bytes, str]:
        """One request → (status, body, content type)."""
        if path in ("/", "/index.html"):
            return 200, self.index_html().encode(), "text/html; charset=utf-8"
        if path.startswith("/mmbiz/"):
            return self._serve_image(path.rsplit("/", 1)[-1], query.get("crop"))
        api = path.removeprefix("/cgi-bin/")
        route = ROUTES.get(api)
        if route is None or not path.startswith("/cgi-bin/"):
            return 404, b"not found", "text/plain"
        hook = self.before_call
        if hook:
            hook(api, self)
        with self.lock:
            self.calls[api] += 1
            try:
                ip = self.caller_ip or peer
                if self.whitelist is not None and ip not in self.whitelist:
                    raise ApiError(40164, f"invalid ip {ip} ipv6 ::ffff:{ip}, not in whitelist rid: "
                                          f"{secrets.token_hex(4)}-{secrets.token_hex(4)}")
                if api not in ("token", "stable_token"):
                    self._check_token(query.get("access_token"))
                self._fault(api)
                self.used[api] += 1
                limit = self.quotas.get(api, DEFAULT_QUOTAS.get(api))
                if limit is not None and self.used[api] > limit:
                    raise ApiError(45009)
                want, handler = route
                if method != want:
                    raise ApiError(43002 if want == "POST" else 43001)
                result = handler(self, query, body, ctype)
            except ApiError as e:
                return 200, _json({"errcode": e.errcode, "errmsg": e.errmsg}), "application/json; charset=utf-8"
            if self.on_call:
                self.on_call(api, self)
        if isinstance(result, tuple):
            return 200, *result
        return 200, _json(result), "application/json; charset=utf-8"

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise ApiError(41001)
        expires = self.tokens.get(token)
        if expires is None:
            raise ApiError(40001)
        if expires <= time.time():
            raise ApiError(42001)

    def _fault(self, api: str) -> None:
        for fault in self.faults.get(api, []):
            if fault.after > 0:
                fault.after -= 1
                return
            if fault.times > 0:
                fault.times -= 1
                if fault.errcode == 42001:
                    self.expire_tokens()
                raise ApiError(fault.errcode, fault.errmsg)

    # ---- endpoints ----------------------------------------------------------------------------

    def _credentials(self, appid: str | None, secret: str | None, grant: str | None) -> None:
        if grant != "client_credential":
            raise ApiError(40002)
        if not appid:
            raise ApiError(41002)
        if not secret:
            raise ApiError(41004)
        if appid != self.appid:
            raise ApiError(40013)
        if secret != self.secret:
            raise ApiError(40125)

    def token(self, query: dict, body: bytes, ctype: str) -> dict:
        """GET cgi-bin/token: a new token; the previous ones live 5 more minutes at most."""
        self._credentials(query.get("appid"), query.get("secret"), query.get("grant_type"))
        soon = time.time() + 300
        self.tokens = {t: min(e, soon) for t, e in self.tokens.items()}
        return {"access_token": self._issue_token(), "expires_in": self.token_ttl}

    def stable_token(self, query: dict, body: bytes, ctype: str) -> dict:
        """POST cgi-bin/stable_token: the same token for every caller until its last 5 minutes."""
        req = _body_json(body)
        self._credentials(req.get("appid"), req.get("secret"), req.get("grant_type"))
        now = time.time()
        current = self.stable and self.tokens.get(self.stable, 0.0)
        if req.get("force_refresh") or not self.stable or not current or current - now <= min(300, self.token_ttl / 2):
            self.stable = self._issue_token()
        return {"access_token": self.stable, "expires_in": int(self.tokens[self.stable] - now)}

    def _media_part(self, body: bytes, ctype: str) -> tuple[str, bytes]:
        if "multipart/form-data" not in ctype:
            raise ApiError(41005)
        msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        for part in msg.iter_parts():
            if part.get_param("name", header="content-disposition") == "media":
                payload = part.get_payload(decode=True)
                return part.get_filename() or "", payload if isinstance(payload, bytes) else b""
        raise ApiError(41005)

    def _image(self, body: bytes, ctype: str, formats: tuple[str, ...]) -> tuple[str, bytes, str]:
        name, data = self._media_part(body, ctype)
        if not data:
            raise ApiError(41005)
        fmt = _sniff(data)
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if fmt is None or fmt not in formats:
            raise ApiError(40005)
        if _FORMAT_OF_EXT.get(ext) != fmt:
            raise ApiError(40113)
        try:
            with Image.open(io.BytesIO(data)) as im:
                im.verify()
        except Exception:
            raise ApiError(40005) from None
        return name, data, fmt

    def uploadimg(self, query: dict, body: bytes, ctype: str) -> dict:
        """POST media/uploadimg: a body image (jpg/png, under 1 MB) → its mmbiz URL."""
        _, data, fmt = self._image(body, ctype, ("jpeg", "png"))
        if len(data) >= 1_000_000:
            raise ApiError(40009)
        image_id = _new_id()
        self.images[image_id] = data
        kind = "jpg" if fmt == "jpeg" else fmt
        return {"url": f"{MMBIZ}/mmbiz_{kind}/{image_id}/0?wx_fmt={fmt}", "errcode": 0, "errmsg": "ok"}

    def add_material(self, query: dict, body: bytes, ctype: str) -> dict:
        """POST material/add_material?type=image|thumb: permanent material → {media_id, url}."""
        kind = query.get("type")
        if kind not in ("image", "thumb"):
            raise ApiError(40004)
        formats = ("jpeg", "png", "gif", "bmp") if kind == "image" else ("jpeg",)
        name, data, _ = self._image(body, ctype, formats)
        if len(data) > (10 * 1024 * 1024 if kind == "image" else 64 * 1024):
            raise ApiError(45001)
        m = self._add_material(data, name, kind)
        return {"media_id": m.media_id, "url": m.url} if kind == "image" else {"media_id": m.media_id}

    def get_material(self, query: dict, body: bytes, ctype: str) -> tuple[bytes, str]:
        m = self.materials.get(str(_body_json(body).get("media_id")))
        if m is None:
            raise ApiError(40007)
        return m.data, "image/" + (_sniff(m.data) or "jpeg")

    def batchget_material(self, query: dict, body: bytes, ctype: str) -> dict:
        req = _body_json(body)
        kind, offset, count = req.get("type"), int(req.get("offset", 0)), int(req.get("count", 20))
        if kind not in ("image", "video", "voice", "news"):
            raise ApiError(40004)
        if not 1 <= count <= 20 or offset < 0:
            raise ApiError(47001)
        items = sorted((m for m in self.materials.values()
                        if m.kind == kind or (kind == "image" and m.kind == "thumb")),
                       key=lambda m: -m.update_time)
        page = items[offset:offset + count]
        return {"total_count": len(items), "item_count": len(page),
                "item": [{"media_id": m.media_id, "name": m.name, "update_time": m.update_time, "url": m.url}
                         for m in page]}

    def del_material(self, query: dict, body: bytes, ctype: str) -> dict:
        if self.materials.pop(str(_body_json(body).get("media_id")), None) is None:
            raise ApiError(40007)
        return {"errcode": 0, "errmsg": "ok"}

    def get_materialcount(self, query: dict, body: bytes, ctype: str) -> dict:
        images = sum(1 for m in self.materials.values() if m.kind in ("image", "thumb"))
        return {"voice_count": 0, "video_count": 0, "image_count": images, "news_count": 0}

    def _check_article(self, a: Any) -> dict[str, Any]:
        if not isinstance(a, dict) or not a.get("title") or not a.get("content"):
            raise ApiError(44003)
        if len(str(a["title"])) > 32:
            raise ApiError(45003)
        if len(str(a.get("author") or "")) > 16:
            raise ApiError(45110)
        if len(str(a.get("digest") or "")) > 128:
            raise ApiError(45004)
        content = str(a["content"])
        if len(content) >= 20_000 or len(content.encode()) >= 1_000_000:
            raise ApiError(45002)
        if len(str(a.get("content_source_url") or "").encode()) > 1024:
            raise ApiError(45005)
        if a.get("article_type", "news") not in ("news", "newspic"):
            raise ApiError(47001, "data format error: article_type")
        if a.get("article_type") == "newspic":
            return self._check_newspic(a, content)
        thumb = self.materials.get(str(a.get("thumb_media_id") or ""))
        if thumb is None:
            raise ApiError(40007)
        for key, ratio in (("pic_crop_235_1", 2.35), ("pic_crop_1_1", 1.0)):
            if a.get(key):
                _check_crop(str(a[key]), thumb, ratio)
        return a

    def _check_newspic(self, a: dict[str, Any], content: str) -> dict[str, Any]:
        """图片消息: plain text only, 1–20 permanent image materials, cover_info crops of the first one."""
        if _TAG.search(content):
            raise ApiError(45166)
        images = (a.get("image_info") or {}).get("image_list") if isinstance(a.get("image_info"), dict) else None
        if not isinstance(images, list) or not images:
            raise ApiError(44003)
        if len(images) > NEWSPIC_IMAGES:
            raise ApiError(47001, "data format error: too many images")
        for image in images:
            m = self.materials.get(str(image.get("image_media_id") if isinstance(image, dict) else ""))
            if m is None or m.kind != "image":
                raise ApiError(40007)
        first = self.materials[images[0]["image_media_id"]]
        crops = (a.get("cover_info") or {}).get("crop_percent_list") or []
        for c in crops if isinstance(crops, list) else [None]:
            if not isinstance(c, dict) or c.get("ratio") not in NEWSPIC_RATIOS:
                raise ApiError(47001, "data format error: cover_info")
            _check_crop("_".join(str(c.get(k)) for k in ("x1", "y1", "x2", "y2")), first, NEWSPIC_RATIOS[c["ratio"]])
        return a

    def draft_add(self, query: dict, body: bytes, ctype: str) -> dict:
        articles = _body_json(body).get("articles")
        if not isinstance(articles, list) or not articles:
            raise ApiError(44003)
        if len(articles) > self.max_articles:
            raise ApiError(47001, "data format error: too many articles")
        items = [self._stored_article(self._check_article(a)) for a in articles]
        now = self._now()
        draft = Draft(_new_id(), items, now, now)
        self.drafts[draft.media_id] = draft
        return {"media_id": draft.media_id}

    def _draft(self, req: dict) -> Draft:
        draft = self.drafts.get(str(req.get("media_id")))
        if draft is None:
            raise ApiError(40007)
        return draft

    def draft_get(self, query: dict, body: bytes, ctype: str) -> dict:
        return {"news_item": self._draft(_body_json(body)).news_item}

    def draft_update(self, query: dict, body: bytes, ctype: str) -> dict:
        req = _body_json(body)
        draft = self._draft(req)
        index = req.get("index")
        if not isinstance(index, int) or not 0 <= index < len(draft.news_item):
            raise ApiError(40114)
        if not isinstance(req.get("articles"), dict):
            raise ApiError(47001)
        draft.news_item[index] = self._stored_article(self._check_article(req["articles"]))
        draft.update_time = self._now()
        draft.updates += 1
        return {"errcode": 0, "errmsg": "ok"}

    def draft_batchget(self, query: dict, body: bytes, ctype: str) -> dict:
        req = _body_json(body)
        offset, count, no_content = int(req.get("offset", 0)), int(req.get("count", 20)), req.get("no_content", 0)
        if not 1 <= count <= 20 or offset < 0:
            raise ApiError(47001)
        ordered = sorted(self.drafts.values(), key=lambda d: -d.update_time)
        page = ordered[offset:offset + count]

        def items(d: Draft) -> list[dict]:
            return [{k: v for k, v in a.items() if not (no_content and k == "content")} for a in d.news_item]

        return {"total_count": len(ordered), "item_count": len(page),
                "item": [{"media_id": d.media_id, "update_time": d.update_time,
                          "content": {"news_item": items(d), "create_time": d.create_time,
                                      "update_time": d.update_time}} for d in page]}

    def draft_count(self, query: dict, body: bytes, ctype: str) -> dict:
        return {"total_count": len(self.drafts)}

    def draft_delete(self, query: dict, body: bytes, ctype: str) -> dict:
        if self.drafts.pop(str(_body_json(body).get("media_id")), None) is None:
            raise ApiError(40007)
        return {"errcode": 0, "errmsg": "ok"}

    # ---- the browser view ---------------------------------------------------------------------

    def _serve_image(self, image_id: str, crop: str | None = None) -> tuple[int, bytes, str]:
        """GET /mmbiz/<id>: an uploaded image; `?crop=X1_Y1_X2_Y2` cuts a material as a crop field does."""
        with self.lock:
            material = self.materials.get(image_id)
            data = self.images.get(image_id) or (material.data if material else None)
        if data is None:
            return 404, b"not found", "text/plain"
        if crop is None:
            return 200, data, "image/" + (_sniff(data) or "jpeg")
        if material is None or not _CROP.match(crop):
            return 404, b"not found", "text/plain"
        with Image.open(io.BytesIO(data)) as im:
            part = im.convert("RGB").crop(_crop_box(crop, im.width, im.height))
        out = io.BytesIO()
        part.save(out, "JPEG", quality=92)
        return 200, out.getvalue(), "image/jpeg"

    def _card_crops(self, item: dict[str, Any]) -> tuple[str, str]:
        """The crops WeChat takes from an article's cover material: (feed 2.35:1, card 1:1) as X1_Y1_X2_Y2,
        the article's own crop fields (a picture post's cover_info) or, where one is unset, the centred box
        (as WeChat does)."""
        m = self.materials[item["thumb_media_id"]]
        crops = {c["ratio"]: "_".join(str(c[k]) for k in ("x1", "y1", "x2", "y2"))
                 for c in (item.get("cover_info") or {}).get("crop_percent_list") or []}
        return (str(item.get("pic_crop_235_1") or crops.get("2.35_1") or _centred(m.width, m.height, 2.35)),
                str(item.get("pic_crop_1_1") or crops.get("1_1") or _centred(m.width, m.height, 1.0)))

    def index_html(self) -> str:
        """The draft box as an editor would see it, with images served by this fake: each article as the
        feed shows it (the 2.35:1 crop of its cover), as a later article of a push and a chat card show it
        (the 1:1 crop), and the uploaded material whole, as the account's 素材库 shows it."""
        def local(src: str) -> str:
            m = _MMBIZ_ID.match(src)
            return f"/mmbiz/{m.group(1)}" if m else src

        cards = []
        with self.lock:
            drafts = sorted(self.drafts.values(), key=lambda d: -d.update_time)
            for d in drafts:
                for i, a in enumerate(d.news_item):
                    thumb = a.get("thumb_media_id")
                    title = html.escape(a["title"])
                    if thumb in self.materials:
                        wide, square = self._card_crops(a)
                        src = f"/mmbiz/{html.escape(thumb)}"
                        m = self.materials[thumb]
                        cover = (f'<div class="feed"><img class="wide" src="{src}?crop={wide}" alt="2.35:1">'
                                 f'<b>{title}</b></div><div class="row"><b>{title}</b>'
                                 f'<img class="square" src="{src}?crop={square}" alt="1:1"></div>'
                                 f'<p class="meta">素材库 material {m.width}×{m.height} · 2.35:1 {wide} · 1:1 {square}'
                                 f'</p><img class="material" src="{src}" alt="material">')
                    else:
                        cover = '<div class="cover none">无封面 no cover</div>'
                    if a.get("article_type") == "newspic":
                        pictures = "".join(f'<img src="/mmbiz/{html.escape(p["image_media_id"])}" alt="{n + 1}">'
                                           for n, p in enumerate(a["image_info"]["image_list"]))
                        body = (f'<div class="pictures">{pictures}</div>'
                                f'<p class="text">{html.escape(a["content"])}</p>')
                        kind = f'图片消息 newspic · {len(a["image_info"]["image_list"])} 张 pictures'
                    else:
                        body = _IMG_SRC.sub(lambda m: m.group(0).replace(m.group(1), local(m.group(1))), a["content"])
                        kind = "图文 news"
                    cards.append(f'<article data-media-id="{d.media_id}" data-index="{i}" '
                                 f'data-type="{html.escape(a.get("article_type") or "news")}"><h2>{title}</h2>'
                                 f'<p class="meta">{d.media_id} #{i} · {kind} · {html.escape(a.get("author") or "")} · '
                                 f'{time.strftime("%Y-%m-%d %H:%M", time.localtime(d.update_time))}</p>{cover}'
                                 f'<details><summary>正文 content</summary>{body}</details></article>')
        return ("<!doctype html><meta charset=utf-8><title>草稿箱 · fake WeChat</title><style>"
                "body{font-family:sans-serif;max-width:760px;margin:2em auto;background:#f6f6f6}"
                "article{background:#fff;padding:1em 1.5em;margin:1em 0;border-radius:8px}"
                ".feed{max-width:414px;border:1px solid #eee;border-radius:8px;overflow:hidden}"
                ".feed img{display:block;width:100%;aspect-ratio:2.35/1}.feed b{display:block;padding:8px 12px}"
                ".row{max-width:390px;display:flex;gap:12px;align-items:center;padding:12px;border:1px solid #eee;"
                "border-top:0}.row b{flex:1;font-weight:500}.row img{width:64px;height:64px}"
                ".material{width:240px;margin-bottom:8px}.none{padding:3em;text-align:center;color:#999}"
                "details img{max-width:100%}.meta{color:#888;font-size:13px}"
                ".pictures{display:flex;gap:6px;overflow-x:auto}.pictures img{height:120px;max-width:none}"
                ".text{white-space:pre-wrap}</style>"
                f"<h1>草稿箱 draft box ({len(drafts)})</h1>" + "".join(cards))


ROUTES: dict[str, tuple[str, Callable[..., Any]]] = {
    "token": ("GET", FakeWeChat.token),
    "stable_token": ("POST", FakeWeChat.stable_token),
    "media/uploadimg": ("POST", FakeWeChat.uploadimg),
    "material/add_material": ("POST", FakeWeChat.add_material),
    "material/get_material": ("POST", FakeWeChat.get_material),
    "material/batchget_material": ("POST", FakeWeChat.batchget_material),
    "material/del_material": ("POST", FakeWeChat.del_material),
    "material/get_materialcount": ("GET", FakeWeChat.get_materialcount),
    "draft/add": ("POST", FakeWeChat.draft_add),
    "draft/get": ("POST", FakeWeChat.draft_get),
    "draft/update": ("POST", FakeWeChat.draft_update),
    "draft/batchget": ("POST", FakeWeChat.draft_batchget),
    "draft/count": ("GET", FakeWeChat.draft_count),
    "draft/delete": ("POST", FakeWeChat.draft_delete),
}

_FORMAT_OF_EXT = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "gif": "gif", "bmp": "bmp"}


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeWeChat
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True        # headers and body go in separate writes

    def _route(self, path: str) -> tuple[FakeWeChat | None, str] | None:
        """The account that answers `path` (None: 404) and the path it sees; None when stopped."""
        return None if self.server_fake._server is None else (self.server_fake, path)

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        route = self._route(parts.path)
        if route is None:                             # stopped: drop kept-alive connections unanswered
            self.close_connection = True
            return
        fake, path = route
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload, ctype = (404, b"not found", "text/plain") if fake is None else fake.handle(
            method, path, query, body, self.headers.get("Content-Type", ""), self.client_address[0])
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:   # quiet: tokens are in the query
        pass


def _new_id() -> str:
    return secrets.token_urlsafe(32).replace("_", "A")


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _body_json(body: bytes) -> dict:
    """Raw UTF-8 JSON whatever the Content-Type; `\\uXXXX` escapes are kept literally, as WeChat does."""
    try:
        text = body.decode("utf-8")
        data = json.loads(re.sub(r"\\u([0-9a-fA-F]{4})", r"\\\\u\1", text))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(47001) from None
    if not isinstance(data, dict):
        raise ApiError(47001)
    return data


def _sniff(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:2] == b"BM":
        return "bmp"
    return None


def _check_crop(value: str, thumb: Material, ratio: float) -> None:
    """X1_Y1_X2_Y2 in 0..1 with ≤ 6 decimals, a real box, and (for 1:1) square in pixels."""
    m = _CROP.match(value)
    if not m:
        raise ApiError(47001, f"data format error: {value}")
    x1, y1, x2, y2 = (float(g) for g in m.groups())
    if not (0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1):
        raise ApiError(47001, f"data format error: {value}")
    w, h = (x2 - x1) * thumb.width, (y2 - y1) * thumb.height
    if abs(w / h - ratio) > 0.02 * ratio:
        raise ApiError(47001, f"data format error: crop {value} is {w:.0f}×{h:.0f} px, not {ratio}:1")


def _crop_box(value: str, width: int, height: int) -> tuple[int, int, int, int]:
    """A crop field's X1_Y1_X2_Y2 (fractions) as a pixel box of a width × height image."""
    x1, y1, x2, y2 = (float(v) for v in value.split("_"))
    return round(x1 * width), round(y1 * height), round(x2 * width), round(y2 * height)


def _centred(width: int, height: int, ratio: float) -> str:
    """The centred crop of `ratio` (w/h) as X1_Y1_X2_Y2: what WeChat takes when a crop field is unset."""
    w, h = min(width, height * ratio), min(height, width / ratio)
    x, y = (width - w) / 2 / width, (height - h) / 2 / height
    return "_".join(f"{v:.6f}" for v in (x, y, 1 - x, 1 - y))


# ---- sample content: an editor's pictures and drafts, for `peitu sandbox` and the tests ---------------

def editor_image(width: int = 900, height: int = 500, hue: int = 0) -> bytes:
    """A JPEG standing in for a photo an editor uploaded in the MP web UI (a gradient with a sun)."""
    from PIL import ImageDraw

    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for y in range(height):
        t = y / max(height - 1, 1)
        draw.line([(0, y), (width, y)], fill=((40 + hue + int(120 * t)) % 256, 90 + int(80 * t), 160 - int(60 * t)))
    r = height // 5
    draw.ellipse([width * 2 // 3 - r, height // 3 - r, width * 2 // 3 + r, height // 3 + r], fill=(250, 210, 90))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def _html(*blocks: str) -> str:
    return "".join(blocks)


SANDBOX_DRAFTS: list[dict[str, Any]] = [
    {"title": "大模型落地的三个误区", "author": "科技组", "editor_cover": False, "content": _html(
        "<p>过去一年，几乎每家公司都在谈大模型，但真正落地的项目并不多。</p>",
        "<h2>误区一：先买算力再找场景</h2><p>很多团队先采购 GPU 集群，再去寻找业务场景，结果设备闲置。</p>",
        "<h2>误区二：把演示当成产品</h2><p>演示视频里的效果往往经过精心挑选，真实用户的问题要复杂得多。</p>",
        "<h2>误区三：忽视数据治理</h2><p>没有干净的数据，再好的模型也只能输出似是而非的答案。</p>")},
    {"title": "秋天的第一碗牛肉面", "author": "美食编辑部", "editor_cover": True, "content": _html(
        "<p>天气一凉，就想吃一碗热乎乎的牛肉面。</p><p>【配图】</p>",
        "<h2>一清二白三红四绿</h2><p>汤要清，萝卜要白，辣油要红，香菜蒜苗要绿。</p>",
        "<p>【配图：拉面师傅在案板上拉出细如发丝的面条】</p><p>面的粗细可以自己选，毛细、二细、韭叶都好吃。</p>")},
    {"title": "周末去哪儿：城市近郊徒步路线", "author": "旅行频道", "editor_cover": False, "content": _html(
        "<p>不用请假，周末两天就能走完的近郊路线。</p>",
        "<p>【配图：清晨的山间栈道，薄雾和松林】</p><h2>路线一：环湖步道</h2><p>全程十二公里，坡度平缓，适合新手。</p>")},
    {"title": "本周基金市场回顾", "author": "财经组", "editor_cover": True, "content": _html(
        "<p>本周主要指数震荡上行，成交量温和放大。</p><h2>债市</h2><p>十年期国债收益率小幅回落。</p>")},
]


def seed_sandbox(fake: FakeWeChat, drafts: list[dict[str, Any]] | None = None) -> list[str]:
    """Fill the draft box with drafts as editors leave them: some without a cover, some with 【配图】,
    one finished; plus a two-article draft → the media_ids."""
    ids = []
    for n, d in enumerate(drafts or SANDBOX_DRAFTS):
        thumb = fake.add_editor_image(editor_image(hue=40 * n), f"editor-{n}.jpg") if d.get("editor_cover") else ""
        article = {k: v for k, v in d.items() if k != "editor_cover"} | {"thumb_media_id": thumb}
        ids.append(fake.add_editor_draft([article]))
    second = SANDBOX_DRAFTS[0]
    ids.append(fake.add_editor_draft([
        {"title": "本期导读", "author": "编辑部", "content": "<p>本期两篇文章，一篇讲吃，一篇讲科技。</p>",
         "thumb_media_id": fake.add_editor_image(editor_image(hue=200), "editor-lead.jpg")},
        {"title": "附：" + second["title"], "author": second["author"], "content": second["content"],
         "thumb_media_id": ""}]))
    return ids
