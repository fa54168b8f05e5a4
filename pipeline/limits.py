"""WeChat's limits for a draft article, shared by `peitu check` (before anything is made) and the
draft API (before each call). Characters unless it says bytes."""

TITLE_MAX = 32
AUTHOR_MAX = 16
DIGEST_MAX = 128
CONTENT_MAX_CHARS = 20_000          # content must stay below these two
CONTENT_MAX_BYTES = 1_000_000
SOURCE_URL_MAX_BYTES = 1024

# 图片消息 (article_type newspic)
NEWSPIC_IMAGES_MAX = 20             # permanent image materials; the first is the cover
NEWSPIC_TEXT_MAX = 1000             # plain text; the MP editor's 贴图 box holds 1,000 characters (community)
NEWSPIC_RATIOS = ("2.35_1", "1_1", "16_9")   # cover_info.crop_percent_list ratios
