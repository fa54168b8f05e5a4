"""config.yaml, validated on load. Secrets never live here: see pipeline.secrets.

Every problem is a ConfigError that names the key (`providers.settings.zhipu.max_in_flight`) and says
what to do: wrong shapes and types, numbers out of range, an unknown timezone, a style with no file, a
font that is not there, and paths peitu could never write (a file where a folder belongs, no permission)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from .errors import ConfigError
from .yamlsafe import load_yaml

DEFAULT_CONFIG = "config.yaml"
SECRET_WORDS = ("key", "secret", "token", "password")
_SECRET_KEY = re.compile(r"(?:^|[_-])(?:key|secret|token|password)s?(?:$|[_-](?!env$))", re.IGNORECASE)
HOUR, DAY = 3600, 86_400


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """`inline_count: yes` is a mistake, not the number 1."""
        if isinstance(value, bool) and info.field_name and \
                cls.model_fields[info.field_name].annotation in (int, float, int | None, float | None):
            raise ValueError("must be a number, not true/false")
        return value


class Paths(Strict):
    output: Path = Path("output")
    state: Path = Path(".peitu/state.db")
    cache: Path = Path(".peitu/cache")
    templates: Path = Path("templates/prompts")
    styles: Path = Path("templates/styles")
    glossary: Path = Path("templates/glossary.yaml")
    userdict: Path = Path("templates/userdict.txt")
    stopwords: Path = Path("templates/stopwords.txt")
    themes: Path = Path("templates/themes")   # article themes: CSS inlined into the draft (NAME.css)
    planner: Path = Path("templates/planner")      # the chat planner's own prompts (plan.j2)
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
    max_pixels: int = Field(40_000_000, gt=0, le=500_000_000)           # refuse decompression bombs above this
    title_on_cover: bool = True                            # set the title on hosted covers ourselves


class ProviderSettings(Strict):
    """One provider's connection and limits. The key comes from the environment (key_env)."""

    enabled: bool = True
    base_url: str | None = None
    model: str | None = None
    key_env: str | None = None
    weight: float = Field(1.0, ge=0, le=1_000_000)
    rate_per_second: float | None = Field(None, gt=0, le=10_000)
    rate_per_minute: float | None = Field(None, gt=0, le=600_000)
    max_in_flight: int = Field(4, ge=1, le=256)
    daily_quota: int | None = Field(None, ge=0, le=1_000_000_000)
    timeout_s: float = Field(60, gt=0, le=HOUR)
    poll_interval_s: float = Field(2.0, gt=0, le=600)
    allow_http: bool = False                               # https only unless set
    result_origins: list[str] = Field(default_factory=list)  # other origins on your own network its answers
                                                           # may point to (fetched without the key)
    options: dict[str, Any] = Field(default_factory=dict)  # provider-specific extras


class Providers(Strict):
    order: list[str] = Field(default_factory=lambda: ["local"])
    strategy: Literal["fallback", "weighted"] = "fallback"
    last_resort: str | None = "local"
    max_retries: int = Field(3, ge=0, le=10)
    backoff_base_s: float = Field(1.0, ge=0, le=HOUR)
    backoff_max_s: float = Field(30.0, ge=0, le=DAY)
    deadline_s: float = Field(300.0, gt=0, le=DAY)               # per image, across retries and fallbacks
    breaker_failures: int = Field(5, ge=1, le=1000)
    breaker_rest_s: float = Field(120.0, ge=0, le=DAY)
    max_download_bytes: int = Field(25_000_000, gt=0, le=1_000_000_000)
    cache: bool = True
    settings: dict[str, ProviderSettings] = Field(default_factory=dict)

    @field_validator("settings", mode="before")
    @classmethod
    def _no_secrets(cls, value: Any) -> Any:
        if value is None:
            return {}                          # `settings:` with only commented examples under it
        for name, block in value.items() if isinstance(value, dict) else ():
            for key in block if isinstance(block, dict) else ():
                if str(key) != "key_env" and any(w in str(key).lower() for w in SECRET_WORDS):
                    raise ValueError(f"providers.settings.{name}.{key}: secrets belong in the environment "
                                     f"or .env, not config.yaml; set key_env to the variable's name")
        return value


class Planner(Strict):
    """`planner:` how images are planned. rules: offline analysis. llm: an OpenAI-compatible chat model
    reads the article through the router's machinery (rate limits, in-flight slots, retries, breaker,
    daily quota, URL policy, cache), with the key from the environment variable key_env; when it fails
    or answers nonsense, the rules plan is used with a warning."""

    mode: Literal["rules", "llm"] = "rules"
    base_url: str = "https://api.deepseek.com/v1"
    model: str = "deepseek-chat"
    key_env: str | None = "DEEPSEEK_API_KEY"
    structured: Literal["auto", "json_schema", "json_object", "plain"] = "auto"   # how to ask for JSON
    prompt_language: Literal["auto", "en", "zh"] = "auto"    # image prompts; auto: zh for models that read it best
    max_chars: int = Field(6000, ge=500, le=200_000)         # article characters sent (title and headings kept)
    max_tokens: int = Field(2000, ge=200, le=32_000)
    temperature: float = Field(0.3, ge=0, le=2)
    timeout_s: float = Field(60, gt=0, le=HOUR)              # one request
    deadline_s: float = Field(120.0, gt=0, le=HOUR)          # one article, across retries and the repair turn
    rate_per_second: float | None = Field(None, gt=0, le=10_000)
    rate_per_minute: float | None = Field(None, gt=0, le=600_000)
    max_in_flight: int = Field(2, ge=1, le=256)
    daily_quota: int | None = Field(None, ge=0, le=1_000_000_000)
    allow_http: bool = False                                 # https only unless set
    options: dict[str, Any] = Field(default_factory=dict)    # extra request fields, e.g. {enable_thinking: false}

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, value: Any) -> Any:
        for key in value if isinstance(value, dict) else ():     # an unknown key that looks like a secret
            if str(key) not in cls.model_fields and any(w in str(key).lower() for w in SECRET_WORDS):
                raise ValueError(f"planner.{key}: secrets belong in the environment or .env, not config.yaml; "
                                 "set key_env to the variable's name")
        return value


class TypeRule(Strict):
    """An article type: its Chinese label and weighted keywords that point to it."""

    label: str
    keywords: dict[str, float] = Field(default_factory=dict)


class ArticleTypes(Strict):
    default: str = "default"
    min_score: float = Field(2.0, ge=0, le=1_000_000)
    rules: dict[str, TypeRule] = Field(default_factory=dict)


class Schedule(Strict):
    time: str = "02:00"
    timezone: str = "Asia/Shanghai"
    misfire_grace_s: int = Field(3600, ge=0, le=7 * DAY)

    @field_validator("time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        hh, _, mm = value.partition(":")
        if not (hh.isdigit() and mm.isdigit() and 0 <= int(hh) < 24 and 0 <= int(mm) < 60):
            raise ValueError(f"'{value}' is not a time like 02:00")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown timezone '{value[:60]}'; use a tz database name such as Asia/Shanghai "
                             "or Europe/Berlin") from None
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
    timeout_s: float = Field(30, gt=0, le=HOUR)
    schedule: Schedule = Schedule()
    style: str | None = None
    theme: str | None = None                              # the account's article theme (templates/themes/)
    templates: Path | None = None                         # template overrides for this account
    author: str = ""
    relay_url: str | None = None                          # call WeChat through `peitu relay` at this URL
    relay_key_env: str = "PEITU_RELAY_KEY"                # the variable holding the key shared with the relay
    relay_client: str = Field(default="default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")   # this client's name at the relay
    brand: Brand | None = None                            # this account's brand over the top-level one


class CallLimits(Strict):
    """WeChat API calls per AppID, by every peitu process that shares the limits (this machine; every machine
    when Redis is configured). Tencent publishes daily quotas, not rates: these are a conservative ceiling."""

    rate_per_second: float | None = Field(10, gt=0, le=10_000)
    rate_per_minute: float | None = Field(600, gt=0, le=600_000)


def _env_name(value: str | None) -> str | None:
    """A setting that names an environment variable (whose value may hold a password)."""
    if value is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError("must name an environment variable (e.g. PEITU_BROKER_URL) that holds the URL; "
                         "the URL itself may hold a password and belongs in the environment or .env")
    return value


class WeChat(Strict):
    placeholder: str = Field("【配图】", min_length=1)
    redis_url_env: str | None = None                       # share the token, locks and limits through Redis
    call_limits: CallLimits = CallLimits()
    accounts: dict[str, Account] = Field(default_factory=lambda: {"default": Account()})

    @field_validator("accounts")
    @classmethod
    def _safe_names(cls, value: dict[str, Account]) -> dict[str, Account]:
        for name in value:                     # names become file names (locks, nightly work folders)
            if not name.strip() or len(name) > 64 or any(c in name for c in '/\\:*?"<>|\0') or name[0] == ".":
                raise ValueError(f"account name {name[:70]!r} cannot be a file name; use letters, digits, - or _")
        return value


class RelaySettings(Strict):
    """`peitu relay`: the host with the whitelisted IP. It calls WeChat as `account`; clients sign requests
    with a key of their own, named here (client name → variable holding its key)."""

    host: str = "127.0.0.1"                                # behind a TLS reverse proxy (README)
    port: int = Field(default=8790, ge=0, le=65535)
    account: str = "default"
    clients: dict[str, str] = Field(default_factory=lambda: {"default": "PEITU_RELAY_KEY"})
    window_s: int = Field(default=300, ge=5, le=3600)              # a signed request is good this long (either way)
    rate_per_minute: int = Field(default=120, ge=1, le=100_000)    # per client
    burst: int = Field(default=30, ge=1, le=10_000)
    max_body_bytes: int = Field(default=11_000_000, ge=1024, le=100_000_000)   # a 10 MB cover and its multipart framing

    @field_validator("clients")
    @classmethod
    def _client_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name):
                raise ValueError(f"client name {name[:70]!r}: use letters, digits, '.', '-' or '_'")
        return value


class ServeSettings(Strict):
    """`peitu serve` (HTTP API and the editors' page) and `peitu mcp` (tools for agents)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    token_env: str = "PEITU_API_TOKEN"                     # bearer token for the API (else one is made and printed)
    allow_upload: bool = False                             # the upload tool / endpoint (creates WeChat drafts)
    mcp_port: int = Field(default=8766, ge=0, le=65535)            # peitu mcp --http



class State(Strict):
    """Where the state lives: SQLite at paths.state (the default), or PostgreSQL when database_url_env names
    an environment variable holding its URL (the URL holds a password, so it never goes in config.yaml)."""

    database_url_env: str | None = None

    @field_validator("database_url_env")
    @classmethod
    def _a_variable_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError("must name an environment variable (e.g. PEITU_DATABASE_URL) that holds the URL; "
                             "the URL itself holds a password and belongs in the environment or .env")
        return value


class Broker(Strict):
    """Workers on a Redis broker (Dramatiq). With no url_env, everything runs in one process."""

    url_env: str | None = None                             # names the variable holding redis://…
    namespace: str = Field("peitu", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    lease_s: float = Field(30, ge=1, le=HOUR)              # a dead worker's draft locks and in-flight slots
                                                           # free themselves this long after its last renewal
    redeliver_after_s: float = Field(60, ge=5, le=DAY)     # a job held by a worker silent this long is redelivered
    job_time_limit_s: float = Field(1800, ge=10, le=DAY)   # a draft job running longer is stopped (and retried)
    max_retries: int = Field(5, ge=0, le=100)              # a job that raised is tried again, with backoff

    @field_validator("url_env")
    @classmethod
    def _a_variable_name(cls, value: str | None) -> str | None:
        return _env_name(value)


class Library(Strict):
    reuse: bool = False
    reuse_threshold: float = Field(0.6, ge=0, le=1)
    reuse_window_days: int = Field(30, ge=0, le=3650)


class Config(Strict):
    style: str = "flat"
    theme: str = "default"              # how the article body looks: templates/themes/<theme>.css
    paths: Paths = Paths()
    images: Images = Images()
    providers: Providers = Providers()
    article_types: ArticleTypes = ArticleTypes()
    schedule: Schedule = Schedule()
    wechat: WeChat = WeChat()
    library: Library = Library()
    relay: RelaySettings = RelaySettings()
    serve: ServeSettings = ServeSettings()
    brand: Brand = Field(default_factory=Brand)            # every account's, unless it sets its own

    state: State = State()
    planner: Planner = Planner.model_validate({})
    broker: Broker = Broker()
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


_EXPECTED = {   # pydantic error type → what the value must be
    "model_type": "a block of `key: value` settings", "model_attributes_type": "a block of `key: value` settings",
    "dict_type": "a block of `name: value` entries", "list_type": "a list, like [a, b]",
    "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false", "path_type": "a path",
    "finite_number": "a finite number",
}


def _shown(value: Any) -> str:
    """What the user wrote, briefly (a value of a key that may hold a secret is never echoed)."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        text = str(value)
        return f"the number {text if len(text) <= 20 else text[:17] + '...'}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a block of settings"
    return f"'{str(value)[:40]}'" if isinstance(value, str) else type(value).__name__


def _describe(err: ValidationError, source: str) -> tuple[str, str]:
    """(one line per problem, what to do) for a failed validation."""
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"])
        secret = bool(_SECRET_KEY.search(str(e["loc"][-1]))) if e["loc"] else False
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see config.yaml in the repository for every key)"
        elif e["type"] in _EXPECTED:
            msg = f"must be {_EXPECTED[e['type']]}, not {'that' if secret else _shown(e.get('input'))}"
        else:
            msg = e["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
        lines.append(f"{source}: {key}: {msg}" if key else f"{source}: {msg}")   # a whole-config check names its key
    return "\n".join(lines), f"fix {'these keys' if len(lines) > 1 else 'it'} in {source}"


def load_config(path: str | Path | None = None) -> Config:
    """Load and validate config.yaml (or defaults when there is none and none was asked for)."""
    explicit = path is not None
    file = Path(path or DEFAULT_CONFIG)
    if not file.exists():
        if explicit:
            raise ConfigError(f"config file {file} not found")
        return Config(root=Path.cwd())
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError("config must be UTF-8 text", where=str(file)) from None
    except OSError as e:
        raise ConfigError(f"cannot read the config file: {e.strerror}", where=str(file)) from None
    data = load_yaml(text, str(file), error=ConfigError) or {}
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of keys", where=str(file))
    try:
        cfg = Config.model_validate({**data, "root": file.resolve().parent})
    except ValidationError as e:
        message, hint = _describe(e, str(file))
        raise ConfigError(message, hint=hint) from None
    check_files(cfg, str(file))
    return cfg


def check_files(cfg: Config, source: str) -> None:
    """The files and folders the config names: a style that has a file, a font that is there, and
    state, output and cache paths peitu can create and write. Raises a ConfigError naming the key."""
    def fail(key: str, problem: str, hint: str) -> None:
        raise ConfigError(f"{key}: {problem}", where=source, hint=hint)

    for what, setting, suffix in (("style", cfg.paths.styles, ".yaml"), ("theme", cfg.paths.themes, ".css")):
        where = cfg.path(setting)
        if not where.is_dir():                      # no such folder: planning or styling says so when it needs one
            continue
        named = [(what, getattr(cfg, what))] + [(f"wechat.accounts.{n}.{what}", getattr(a, what))
                                                for n, a in cfg.wechat.accounts.items()]
        for key, name in named:
            if name is not None and (Path(name).name != name or name.startswith(".")
                                     or not (where / f"{name}{suffix}").is_file()):
                have = ", ".join(sorted(p.stem for p in where.glob(f"*{suffix}"))) or "(none)"
                fail(key, f"{what} '{name[:60]}' has no file in {where}", f"use one of: {have}")
    kinds: dict[str, Literal["file", "dir"]] = {
        "templates": "dir", "styles": "dir", "themes": "dir", "planner": "dir", "glossary": "file",
        "userdict": "file", "stopwords": "file"}
    for name, kind in kinds.items():              # a missing one is reported where it is needed
        path = cfg.path(getattr(cfg.paths, name))
        if _exists(path) and not _is(path, kind):
            fail(f"paths.{name}", f"{path} is not a {'folder' if kind == 'dir' else 'file'}",
                 f"set paths.{name} to a {'folder' if kind == 'dir' else 'file'} (see the repository's config.yaml)")
    if cfg.paths.font is not None and not _is(cfg.path(cfg.paths.font), "file"):
        fail("paths.font", f"no font file at {cfg.path(cfg.paths.font)}",
             "fix paths.font, or remove it to use the packaged Noto Sans CJK")
    for name, acct in cfg.wechat.accounts.items():
        if acct.templates is not None and not _is(cfg.path(acct.templates), "dir"):
            fail(f"wechat.accounts.{name}.templates", f"no folder at {cfg.path(acct.templates)}",
                 "create it (templates there override the ones in paths.templates) or remove the key")
    for key, target, folder in (("paths.state", cfg.paths.state, False), ("paths.output", cfg.paths.output, True),
                                ("paths.cache", cfg.paths.cache, True)):
        problem = unwritable(cfg.path(target), folder=folder)
        if problem:
            what = "a folder" if folder else "a file (e.g. .peitu/state.db)"
            fail(key, problem, f"set {key} to {what} in a place this user can write")


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _is(path: Path, kind: Literal["file", "dir"]) -> bool:
    try:
        return path.is_file() if kind == "file" else path.is_dir()
    except (OSError, ValueError):                       # no permission, a NUL in the name
        return False


def unwritable(path: Path, *, folder: bool) -> str | None:
    """Why peitu could not create or write `path` (a folder, or a file in one), or None when it can."""
    if "\0" in str(path):
        return "the path contains a NUL character"
    try:
        if path.exists():
            if folder != path.is_dir():
                return f"{path} is a {'file' if folder else 'folder'}, not a {'folder' if folder else 'file'}"
            writable = os.access(path, os.W_OK) and (folder or os.access(path.parent, os.W_OK | os.X_OK))
            return None if writable else f"no permission to write {path if folder else path.parent}"
        place = path if folder else path.parent
        existing = place
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent
        if not existing.is_dir():
            return f"{existing} is a file, so the folder {place} cannot be made"
        if not os.access(existing, os.W_OK | os.X_OK):
            return f"no permission to create {place} in {existing}"
    except OSError as e:
        return f"cannot reach {path}: {e.strerror}"
    return None
