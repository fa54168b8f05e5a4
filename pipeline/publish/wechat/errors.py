"""WeChat errcodes → WeChatError with a message an operator can act on; nothing secret inside."""

from __future__ import annotations

import re

import requests
from wechatpy.exceptions import WeChatClientException

from ...errors import WeChatError
from ...secrets import redact

TOKEN_INVALID = frozenset({40001, 40014, 42001})   # refresh the token once and retry
BUSY = frozenset({-1, 45011})                      # wait and retry
QUOTA = 45009                                      # daily quota: stop the run, keep the state

WHITELIST_HINT = "公众号后台 → 设置与开发 → 基本配置 → IP白名单"

# errcode → (what happened, what to do)
_MESSAGES: dict[int, tuple[str, str]] = {
    -1: ("WeChat is busy (系统繁忙) and stayed busy after retries", "run again in a few minutes"),
    40001: ("WeChat rejected the AppSecret or access token (40001)",
            "check {secret_env} for this account; if another tool refreshes the token with /token, "
            "let only one do it (peitu uses stable_token)"),
    40002: ("WeChat rejected grant_type", "this is a bug in peitu; please report it"),
    40004: ("WeChat rejected the media type", "upload images only (jpg/png)"),
    40005: ("WeChat rejected the file type (40005)", "upload JPEG or PNG images"),
    40006: ("WeChat rejected the file size (40006)", "inline images must be under 1 MB, covers under 10 MB"),
    40007: ("WeChat does not know this media_id (40007): the cover material was deleted or never existed",
            "run again: peitu uploads the cover anew; do not delete peitu's images from 素材库 while drafts use them"),
    40009: ("WeChat rejected the image size (40009)",
            "inline images (media/uploadimg) must be JPEG/PNG under 1 MB; covers JPEG/PNG ≤ 10 MB"),
    40013: ("WeChat does not know this AppID (40013)", "check {appid_env}: it starts with wx and has 18 characters"),
    40014: ("WeChat rejected the access token (40014)", "run again; peitu fetches a new token"),
    40113: ("WeChat rejected the file (40113 unsupported file type)",
            "the upload's file name needs an extension matching its content (.jpg for JPEG, .png for PNG)"),
    40114: ("WeChat rejected the article index (40114)", "the draft changed while peitu worked on it; run again"),
    40125: ("WeChat rejected the AppSecret (40125)",
            "check {secret_env}; if the AppSecret was reset in 公众号后台 → 设置与开发 → 基本配置, copy the new one"),
    40164: ("WeChat refused calls from this server's IP {ip} (40164: not in the IP whitelist)",
            f"add {{ip}} in {WHITELIST_HINT}, then run again"),
    40243: ("this account's AppSecret is frozen (40243)", "unfreeze it in 公众号后台 → 设置与开发 → 基本配置"),
    41001: ("the call carried no access token (41001)", "this is a bug in peitu; please report it"),
    41002: ("no AppID was sent (41002)", "set {appid_env} in the environment or .env"),
    41004: ("no AppSecret was sent (41004)", "set {secret_env} in the environment or .env"),
    41005: ("WeChat received no file (41005 media data missing)", "the image is empty; regenerate it"),
    42001: ("the access token expired again right after a refresh (42001)",
            "check the server clock and that only one tool manages this account's token"),
    43002: ("WeChat wants POST for this call (43002)", "this is a bug in peitu; please report it"),
    44003: ("WeChat says the article is empty (44003 empty news data)", "the draft needs a title and content"),
    45001: ("the image is larger than WeChat allows (45001 media size out of limit)",
            "covers ≤ 10 MB (thumb ≤ 64 KB), inline images < 1 MB; lower images.jpeg_quality or the size"),
    45002: ("the article content is too long (45002)", "content must be under 20,000 characters and 1 MB"),
    45004: ("the digest is too long (45004)", "keep the digest within 128 characters"),
    45009: ("the daily API quota is used up (45009 reach max api daily quota limit)",
            "the run stopped and kept its progress; run again tomorrow, or reset the quota once with "
            "clear_quota (10 times a month) in 公众号后台 → 设置与开发 → 接口权限"),
    45011: ("WeChat's per-minute API limit was hit (45011) and stayed hit after retries",
            "run again in a minute"),
    45166: ("WeChat rejected the article content (45166 invalid content)",
            "remove scripts, forms and images not uploaded through WeChat from the content"),
    48001: ("this account may not call this API (48001 api unauthorized)",
            "the draft box needs a subscription or service account; check 公众号后台 → 设置与开发 → 接口权限"),
    50004: ("WeChat forbids token calls for this account (50004)", "check the account's status in 公众号后台"),
    50007: ("this account is frozen (50007)", "check the account's status in 公众号后台"),
}

_IP = re.compile(r"invalid ip ([0-9a-fA-F.:]+)")


def seen_ip(errmsg: str) -> str:
    """The caller IP WeChat reports in a 40164 errmsg ("invalid ip 1.2.3.4 ipv6 …, not in whitelist")."""
    m = _IP.search(errmsg or "")
    return m.group(1).rstrip(",") if m else "(unknown: see errmsg)"


def from_errcode(errcode: int | None, errmsg: str = "", *, api: str = "",
                 appid_env: str = "WECHAT_APPID", secret_env: str = "WECHAT_SECRET") -> WeChatError:
    """A WeChatError for one errcode: what happened, which call, and what to do."""
    where = f"WeChat {api}" if api else "WeChat"
    if errcode is None:
        return WeChatError(f"WeChat answered with an HTTP error: {redact(errmsg)}", where=where,
                           hint="check wechat.accounts.*.base_url; if it is a proxy, check the proxy")
    what, todo = _MESSAGES.get(errcode, (f"WeChat refused the call (errcode {errcode}: {errmsg})",
                                         "see https://developers.weixin.qq.com/doc/offiaccount/en/"
                                         "Getting_Started/Global_Return_Code.html"))
    fields = {"ip": seen_ip(errmsg), "appid_env": appid_env, "secret_env": secret_env}
    return WeChatError(redact(what.format(**fields)), where=where, hint=redact(todo.format(**fields)),
                       errcode=errcode)


def from_exception(exc: Exception, *, api: str = "", base_url: str = "", **names: str) -> WeChatError:
    """Translate a wechatpy or requests exception; the text is redacted (URLs carry the token)."""
    if isinstance(exc, WeChatError):
        return exc
    if isinstance(exc, WeChatClientException):
        if exc.errcode is None and exc.response is not None:
            return from_errcode(None, f"HTTP {exc.response.status_code}", api=api)
        return from_errcode(exc.errcode, str(exc.errmsg or ""), api=api, **names)
    if isinstance(exc, requests.Timeout):
        return WeChatError(f"WeChat did not answer in time ({type(exc).__name__})",
                           where=f"WeChat {api}".strip(), hint="check the network and run again")
    if isinstance(exc, requests.RequestException):
        return WeChatError(f"cannot reach WeChat at {base_url or 'api.weixin.qq.com'}: "
                           f"{redact(type(exc).__name__)}", where=f"WeChat {api}".strip(),
                           hint="check the network, a proxy, or wechat.accounts.*.base_url")
    return WeChatError(redact(f"{type(exc).__name__}: {exc}"), where=f"WeChat {api}".strip())
