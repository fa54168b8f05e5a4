"""The draft box (草稿箱) API, which wechatpy 1.8.18 lacks: one method per endpoint, articles sent verbatim.

Unlike wechatpy 2.x's draft API this keeps every field (pic_crop_235_1, pic_crop_1_1, article_type, image_info …),
and checks WeChat's field limits before the call, so a too-long title fails with a clear message
instead of an opaque errcode.
"""

from __future__ import annotations

import re
from typing import Any

from wechatpy.client.api.base import BaseWeChatAPI

from ...errors import InputError
from ...limits import (AUTHOR_MAX, CONTENT_MAX_BYTES, CONTENT_MAX_CHARS, DIGEST_MAX, NEWSPIC_IMAGES_MAX,
                       NEWSPIC_RATIOS, NEWSPIC_TEXT_MAX, SOURCE_URL_MAX_BYTES, TITLE_MAX)

LIMITS = {"title": TITLE_MAX, "author": AUTHOR_MAX, "digest": DIGEST_MAX}
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def check_article(article: dict[str, Any], where: str = "draft") -> None:
    """Raise InputError naming the field when an article breaks one of WeChat's limits."""
    if not str(article.get("title") or "").strip():
        raise InputError("the article has no title (WeChat requires one)", where=where)
    for name, limit in LIMITS.items():
        value = str(article.get(name) or "")
        if len(value) > limit:
            raise InputError(f"{name} has {len(value)} characters; WeChat allows at most {limit}: "
                             f"「{value[:limit]}…」", where=where, hint=f"shorten the {name}")
    if len(str(article.get("content_source_url") or "").encode("utf-8")) > SOURCE_URL_MAX_BYTES:
        raise InputError("content_source_url (阅读原文) is longer than 1 KB", where=where)
    if article.get("article_type") == "newspic":
        _check_newspic(article, where)
        return
    content = str(article.get("content") or "")
    if not content.strip():
        raise InputError("the article has no content (WeChat requires some)", where=where)
    size = len(content.encode("utf-8"))
    if len(content) >= CONTENT_MAX_CHARS or size >= CONTENT_MAX_BYTES:
        raise InputError(f"content has {len(content):,} characters / {size:,} bytes with its inline styles; WeChat "
                         f"takes fewer than {CONTENT_MAX_CHARS:,} characters and under 1 MB", where=where,
                         hint="choose a more compact theme (front matter `theme: plain`), or split the article")
    if article.get("article_type", "news") == "news" and not article.get("thumb_media_id"):
        raise InputError("the article has no cover (thumb_media_id); WeChat requires one", where=where)


def _check_newspic(article: dict[str, Any], where: str) -> None:
    """An image post: 1–20 permanent pictures, plain text within the editor's limit, crops WeChat knows."""
    images = (article.get("image_info") or {}).get("image_list") or []
    if not 1 <= len(images) <= NEWSPIC_IMAGES_MAX or not all(i.get("image_media_id") for i in images):
        raise InputError(f"an image post needs 1 to {NEWSPIC_IMAGES_MAX} pictures (image_info.image_list), "
                         f"not {len(images)}", where=where)
    text = str(article.get("content") or "")
    if _TAG.search(text):
        raise InputError("an image post's text must be plain text (WeChat takes no HTML there)", where=where)
    if len(text) > NEWSPIC_TEXT_MAX:
        raise InputError(f"an image post's text has {len(text):,} characters; WeChat's editor takes "
                         f"{NEWSPIC_TEXT_MAX:,}", where=where, hint="shorten it, or publish it as an article")
    for c in (article.get("cover_info") or {}).get("crop_percent_list") or []:
        if c.get("ratio") not in NEWSPIC_RATIOS:
            raise InputError(f"cover_info crop ratio {c.get('ratio')!r} is not one WeChat takes "
                             f"({', '.join(NEWSPIC_RATIOS)})", where=where)


class WeChatDraft(BaseWeChatAPI):
    """草稿箱

    https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html
    """

    def add(self, articles: list[dict[str, Any]]) -> str:
        """
        新建草稿
        https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_draft_add.html

        :param articles: 图文消息列表，字段原样发送（含 pic_crop_235_1、pic_crop_1_1）
        :return: 草稿的 media_id
        """
        for i, article in enumerate(articles):
            check_article(article, where=f"draft article {i + 1}")
        return self._post("draft/add", data={"articles": articles}, result_processor=lambda r: r["media_id"])

    def get(self, media_id: str) -> list[dict[str, Any]]:
        """
        获取草稿
        https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_getdraft.html

        :return: news_item 列表
        """
        return self._post("draft/get", data={"media_id": media_id}, result_processor=lambda r: r["news_item"])

    def update(self, media_id: str, index: int, article: dict[str, Any]) -> dict:
        """
        修改草稿（一篇，按 0 起的序号）
        https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_draft_update.html
        """
        check_article(article, where=f"draft {media_id} article {index + 1}")
        return self._post("draft/update", data={"media_id": media_id, "index": index, "articles": article})

    def batchget(self, offset: int = 0, count: int = 20, no_content: bool = False) -> dict:
        """
        获取草稿列表
        https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_draft_batchget.html

        :param count: 1 到 20
        :return: {"total_count", "item_count", "item": [{"media_id", "content": {"news_item"}, "update_time"}]}
        """
        return self._post("draft/batchget", data={"offset": offset, "count": count,
                                                  "no_content": int(no_content)})

    def count(self) -> int:
        """
        获取草稿总数
        https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_draft_count.html
        """
        return self._get("draft/count", result_processor=lambda r: r["total_count"])

    def delete(self, media_id: str) -> dict:
        """
        删除草稿（不可撤销）
        https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_draft_delete.html
        """
        return self._post("draft/delete", data={"media_id": media_id})
