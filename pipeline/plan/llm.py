"""The chat planner: an OpenAI-compatible chat model reads the article and answers a Plan as JSON.

One request through the router's chat endpoint (limits, retries, breaker, quota, URL policy); the answer
is read through the Plan schema with the article's facts as context, and when it does not fit, ONE repair
turn sends the validation errors back. JSON is asked for as strongly as the endpoint takes it
(json_schema, json_object, plain words): an endpoint that refuses a response_format is asked again one
step down, and remembered. A plan is cached by the article (as the model is shown it), the planner
prompt's version and the model, so the same article costs no second call. Anything that leaves no plan
raises Unplanned with one line saying why; the caller plans by rules instead."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import dataclass

from ..config import Config
from ..generate import router_for
from ..generate.chat import ChatEndpoint, Turns
from ..generate.errors import Failure, NotTried
from ..models import Article, GeneratedImage
from ..providers import HOSTED, provider
from ..providers.chat import MODES, Message, Mode, Said
from .prompt import context, planner_templates
from .schema import Plan, json_schema, read, schema_text

# image models that read Chinese prompts best: provider → model name patterns
CHINESE_READERS = {"dashscope": ("wan*",), "zhipu": ("cogview*",), "siliconflow": ("*kolors*",)}
ANSWER_KEPT = 6000           # characters of a bad answer sent back in the repair turn


class Unplanned(Exception):
    """The chat model gave no usable plan; str() says why in one line."""


@dataclass
class Answered:
    plan: Plan
    cached: bool
    model: str


def ask_model(article: Article, cfg: Config, *, count: int, cover: bool, turns: Turns) -> Answered:
    """The chat model's plan for `article` (its types and section numbers checked, keywords not yet)."""
    router = router_for(cfg)
    endpoint = router.chat()
    templates = planner_templates(cfg)
    types = list(dict.fromkeys([*cfg.article_types.rules, cfg.article_types.default]))
    schema = json_schema(types, len(article.sections))
    ctx = context(article, cfg, count=count, cover=cover, language=prompt_language(cfg), schema=schema_text(schema))
    system, user = templates.messages(ctx)
    checks = {"types": type_names(cfg), "sections": len(article.sections)}
    key = hashlib.sha256(json.dumps(["plan", templates.prompt_version(), endpoint.ep.base_url, endpoint.ep.model,
                                     system, user], ensure_ascii=False).encode()).hexdigest()
    hit = router.cache.get(key) if cfg.providers.cache else None
    if hit is not None:
        plan, _ = read(hit.data.decode("utf-8", "replace"), checks)
        if plan is not None:
            return Answered(plan, True, hit.model)
    deadline = router.clock.monotonic() + cfg.planner.deadline_s
    messages: list[Message] = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    said = _ask(endpoint, messages, schema, deadline, turns)
    plan, errors = read(said.text, checks)
    if plan is None:
        if said.finish_reason == "length":
            errors.append(f"the answer was cut off after {said.completion_tokens} tokens: keep every prompt short")
        messages += [{"role": "assistant", "content": said.text[:ANSWER_KEPT]},
                     {"role": "user", "content": templates.repair(ctx, errors)}]
        said = _ask(endpoint, messages, schema, deadline, turns)
        plan, errors = read(said.text, checks)
        if plan is None:
            raise Unplanned(f"answered twice with no plan that fits the schema ({'; '.join(errors[:2])[:200]})")
    if cfg.providers.cache:
        router.cache.put(key, GeneratedImage(data=plan.model_dump_json().encode(), provider=endpoint.name,
                                             model=said.model or endpoint.ep.model, seed=None, elapsed_s=0.0))
    return Answered(plan, False, said.model or endpoint.ep.model)


def _ask(endpoint: ChatEndpoint, messages: list[Message], schema: dict, deadline: float, turns: Turns) -> Said:
    """One completion in the strongest JSON mode the endpoint takes (stepping down when it refuses one)."""
    while True:
        mode = endpoint.mode or _start_mode(endpoint)
        try:
            return endpoint.ask(messages, mode=mode, schema=schema, deadline=deadline, turns=turns)
        except Failure as failure:
            weaker = MODES[MODES.index(mode) + 1:]
            if weaker and endpoint.proto.refuses_format(failure.status, failure.message):
                endpoint.mode = weaker[0]
                continue
            raise Unplanned(failure.message.splitlines()[0]) from None
        except NotTried as why:
            raise Unplanned(f"chat model ({endpoint.name}): {why.reason}") from None


def _start_mode(endpoint: ChatEndpoint) -> Mode:
    configured = endpoint.st.structured
    return endpoint.proto.mode_for(endpoint.ep) if configured == "auto" else configured


def prompt_language(cfg: Config) -> str:
    """en or zh: planner.prompt_language, or (auto) zh when the first hosted provider in providers.order
    is a model that reads Chinese best (通义万相, CogView, Kolors)."""
    if cfg.planner.prompt_language != "auto":
        return cfg.planner.prompt_language
    first = next((n for n in cfg.providers.order if n in HOSTED), None)
    if first not in CHINESE_READERS:
        return "en"
    settings = cfg.providers.settings.get(first)
    model = ((settings.model if settings else None) or provider(first).model).lower()
    return "zh" if any(fnmatch.fnmatchcase(model, p) for p in CHINESE_READERS[first]) else "en"


def type_names(cfg: Config) -> dict[str, str]:
    """Every way a model may name a type (id, its Chinese label or a part of it) → the type id."""
    names = {cfg.article_types.default: cfg.article_types.default, "通用": cfg.article_types.default}
    for type_id, rule in cfg.article_types.rules.items():
        parts = [rule.label, *rule.label.replace("／", "/").split("/")]
        names |= {type_id: type_id, type_id.lower(): type_id} | {p.strip(): type_id for p in parts if p.strip()}
    return names
