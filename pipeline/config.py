"""config.yaml, validated on load. Secrets never live here: see pipeline.secrets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError

DEFAULT_CONFIG = "config.yaml"
SECRET_WORDS = ("key", "secret", "token", "password")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Paths(Strict):
    output: Path = Path("output")
    state: Path = Path(".peitu/state.db")
    cache: Path = Path(".peitu/cache")
    templates: Path = Path("templates/prompts")
    styles: Path = Path("templates/styles")
    glossary: Path = Path("templates/glossary.yaml")
    userdict: Path = Path("templates/userdict.txt")
    stopwords: Path = Path("templates/stopwords.txt")
    font: Path | None = None            # a user-supplied CJK font; default: the packaged Noto Sans CJK


class Size(Strict):
    width: int = Field(gt=0, le=4096)
    height: int = Field(gt=0, le=4096)


class Images(Strict):
    cover: Size = Size(width=900, height=383)
    share: Size = Size(width=383, height=383)
    generate_cover: Size = Size(width=1344, height=576)   # what we ask a provider for (≈2.35:1)
    generate_inline: Size = Size(width=1024, height=576)
    inline_max_width: int = Field(1080, gt=0, le=1080)
    inline_count: int = Field(3, ge=0, le=20)
    jpeg_quality: int = Field(88, ge=30, le=100)
    inline_max_bytes: int = Field(1_000_000, gt=0, le=1_000_000)
    cover_max_bytes: int = Field(10_000_000, gt=0, le=10_000_000)
    max_pixels: int = Field(40_000_000, gt=0)             # refuse decompression bombs above this
    title_on_cover: bool = True                            # set the title on hosted covers ourselves


class ProviderSettings(Strict):
    """One provider's connection and limits. The key comes from the environment (key_env)."""

    enabled: bool = True
    base_url: str | None = None
    model: str | None = None
    key_env: str | None = None
    weight: float = Field(1.0, ge=0)
    rate_per_second: float | None = Field(None, gt=0)
    rate_per_minute: float | None = Field(None, gt=0)
    max_in_flight: int = Field(4, ge=1)
    daily_quota: int | None = Field(None, ge=0)
    timeout_s: float = Field(60, gt=0)
    poll_interval_s: float = Field(2.0, gt=0)
    allow_http: bool = False                               # https only unless set
    options: dict[str, Any] = Field(default_factory=dict)  # provider-specific extras


class Providers(Strict):
    order: list[str] = Field(default_factory=lambda: ["local"])
    strategy: Literal["fallback", "weighted"] = "fallback"
    last_resort: str | None = "local"
    max_retries: int = Field(3, ge=0, le=10)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)
    deadline_s: float = Field(300.0, gt=0)                 # per image, across retries and fallbacks
    breaker_failures: int = Field(5, ge=1)
    breaker_rest_s: float = Field(120.0, ge=0)
    max_download_bytes: int = Field(25_000_000, gt=0)
    cache: bool = True
    settings: dict[str, ProviderSettings] = Field(default_factory=dict)

    @field_validator("settings", mode="before")
    @classmethod
    def _no_secrets(cls, value: Any) -> Any:
        for name, block in (value or {}).items():
            for key in (block or {}):
                if key != "key_env" and any(w in key.lower() for w in SECRET_WORDS):
                    raise ValueError(f"providers.settings.{name}.{key}: secrets belong in the environment "
                                     f"or .env, not config.yaml; set key_env to the variable's name")
        return value or {}                     # `settings:` with only commented examples under it


class TypeRule(Strict):
    """An article type: its Chinese label and weighted keywords that point to it."""

    label: str
    keywords: dict[str, float] = Field(default_factory=dict)


class ArticleTypes(Strict):
    default: str = "default"
    min_score: float = Field(2.0, ge=0)
    rules: dict[str, TypeRule] = Field(default_factory=dict)


class Schedule(Strict):
    time: str = "02:00"
    timezone: str = "Asia/Shanghai"
    misfire_grace_s: int = Field(3600, ge=0)

    @field_validator("time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        hh, _, mm = value.partition(":")
        if not (hh.isdigit() and mm.isdigit() and 0 <= int(hh) < 24 and 0 <= int(mm) < 60):
            raise ValueError(f"'{value}' is not a time like 02:00")
        return value


HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def _colour(value: str) -> str:
    if not isinstance(value, str) or not HEX_COLOUR.match(value.strip()):
        raise ValueError(f"{value!r} is not a colour like #1E2742")
    return value.strip().upper()


class Brand(Strict):
    """How an account's covers look whatever the style: its name or logo, colours, title font and
    where the title goes. Unset fields fall back to the top-level `brand`, then to the style."""

    name: str = Field("", max_length=24)          # set small on every cover (e.g. the account's name)
    logo: Path | None = None                      # PNG/JPEG/WebP/SVG drawn instead of the name
    palette: list[str] | None = None              # [background, second background, accent, …] as #RRGGBB
    text: str | None = None                       # title colour #RRGGBB (default: the palette's ink)
    font: Path | None = None                      # title font file (default: paths.font, else Noto Sans CJK)
    title_placement: Literal["auto", "top", "middle", "bottom"] = "auto"

    @field_validator("palette")
    @classmethod
    def _palette(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not 3 <= len(value) <= 8:
            raise ValueError("give 3 to 8 colours: background, second background, then accents")
        return [_colour(v) for v in value]

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _colour(value)

    def over(self, base: Brand) -> Brand:
        """This brand with what it leaves unset taken from `base`."""
        return base.model_copy(update={k: getattr(self, k) for k in self.model_fields_set})


class Account(Strict):
    """A WeChat Official Account. APPID/SECRET come from env vars named here."""

    appid_env: str = "WECHAT_APPID"
    secret_env: str = "WECHAT_SECRET"
    base_url: str = "https://api.weixin.qq.com"
    token_api: Literal["stable_token", "token"] = "stable_token"   # stable_token: processes share one token
    timeout_s: float = Field(30, gt=0)
    schedule: Schedule = Schedule()
    style: str | None = None
    templates: Path | None = None                         # template overrides for this account
    author: str = ""
    brand: Brand | None = None                            # this account's brand over the top-level one


class WeChat(Strict):
    placeholder: str = "【配图】"
    redis_url_env: str | None = None                       # share the token through Redis when set
    accounts: dict[str, Account] = Field(default_factory=lambda: {"default": Account()})


class Library(Strict):
    reuse: bool = False
    reuse_threshold: float = Field(0.6, ge=0, le=1)
    reuse_window_days: int = Field(30, ge=0)


class Config(Strict):
    style: str = "flat"
    paths: Paths = Paths()
    images: Images = Images()
    providers: Providers = Providers()
    article_types: ArticleTypes = ArticleTypes()
    schedule: Schedule = Schedule()
    wechat: WeChat = WeChat()
    library: Library = Library()
    brand: Brand = Field(default_factory=Brand)            # every account's, unless it sets its own
    root: Path = Field(default=Path("."), exclude=True)

    def path(self, p: Path) -> Path:
        """Resolve a configured path against the config file's folder."""
        return p if p.is_absolute() else self.root / p

    def brand_for(self, account: str = "") -> Brand:
        """The brand of `account` (a key of wechat.accounts), else the top-level one."""
        own = self.wechat.accounts[account].brand if account in self.wechat.accounts else None
        return own.over(self.brand) if own else self.brand

    @model_validator(mode="after")
    def _brand_files(self) -> Config:
        """A brand's logo and font must exist (a missing one would only show as a plain cover)."""
        brands = [("brand", self.brand)] + [(f"wechat.accounts.{name}.brand", a.brand)
                                           for name, a in self.wechat.accounts.items() if a.brand]
        for key, brand in brands:
            for field in ("logo", "font"):
                path = getattr(brand, field)
                if path is not None and not self.path(path).is_file():
                    raise ValueError(f"{key}.{field}: file {path} not found (relative paths start at the "
                                     f"config file's folder)")
        return self


def _describe(err: ValidationError, source: str) -> str:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see config.yaml in the repository for every key)"
        lines.append(f"{source}: {key}: {msg}" if key else f"{source}: {msg}")   # a whole-config check names its key
    return "\n".join(lines)


def load_config(path: str | Path | None = None) -> Config:
    """Load and validate config.yaml (or defaults when there is none and none was asked for)."""
    explicit = path is not None
    file = Path(path or DEFAULT_CONFIG)
    if not file.exists():
        if explicit:
            raise ConfigError(f"config file {file} not found")
        return Config(root=Path.cwd())
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError:
        raise ConfigError("config must be UTF-8 text", where=str(file)) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        raise ConfigError(f"not valid YAML: {getattr(e, 'problem', e)}", where=where) from None
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of keys", where=str(file))
    try:
        return Config(**data, root=file.resolve().parent)
    except ValidationError as e:
        raise ConfigError(_describe(e, str(file))) from None
