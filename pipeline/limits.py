"""WeChat's limits for a draft article, shared by `peitu check` (before anything is made) and the
draft API (before each call). Characters unless it says bytes."""

TITLE_MAX = 32
AUTHOR_MAX = 16
DIGEST_MAX = 128
CONTENT_MAX_CHARS = 20_000          # content must stay below these two
CONTENT_MAX_BYTES = 1_000_000
SOURCE_URL_MAX_BYTES = 1024
