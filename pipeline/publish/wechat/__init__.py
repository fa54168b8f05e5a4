"""WeChat publishing: a wechatpy client with the draft API, uploads that happen once, and drafts.

    build_client(cfg, account) -> PeituClient            # client.draft / client.material / client.media
    upload_illustration(ill, cfg, account) -> str         # a draft from a local article → its media_id
"""

from .client import PeituClient, build_client

__all__ = ["PeituClient", "build_client"]
