"""Which model writes a job, and why: pure functions of the settings and the request.

The rules are settings (``LLM_MODEL``, ``LLM_FAST_MODEL``, ``ROUTE_EDIT_MAX_CHARS``,
``LLM_FALLBACK_MODEL``, the provider keys, ``MORPH_API_KEY``); the job records the model it
used and the reason given here. Nothing here reads the environment: the settings did, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from generator.llm import PROVIDER_DEFAULTS, ModelConfig, resolve_model
from generator.settings import GeneratorSettings
from paynto_common.messages import GenerateRequest, ModelInfo

OFFLINE_LABEL = "offline"
OFFLINE_NOTICE = (
    "No model is configured: the built-in offline generator writes this site. "
    "It is deterministic and rule-based, not AI."
)


@dataclass
class Source:
    """Where a job's text comes from: a litellm model, or the offline generator (cfg None)."""

    label: str
    cfg: ModelConfig | None
    # The whole answer, already written (the offline generator's files for a ticket).
    canned: str | None = None


def with_limits(settings: GeneratorSettings, cfg: ModelConfig) -> ModelConfig:
    """``cfg`` with the settings' timeout and answer length."""
    cfg.timeout = settings.llm_timeout_seconds
    cfg.max_tokens = settings.llm_max_tokens
    return cfg


def _secret(value: SecretStr | None) -> str | None:
    return (value.get_secret_value() or None) if value is not None else None


def choose_source(settings: GeneratorSettings, requested: str | None) -> Source:
    """The model a request names (at the configured base URL), else the default one; the
    offline generator when that is what is asked for or nothing is configured."""
    if requested == OFFLINE_LABEL:
        return Source(OFFLINE_LABEL, None)
    if requested:
        cfg = ModelConfig(model=requested, api_base=settings.llm_api_base,
                          api_key=_secret(settings.llm_api_key))
    else:
        resolved = resolve_model(settings.llm_model, settings.model_env())
        if resolved is None:
            return Source(OFFLINE_LABEL, None)
        cfg = resolved
    with_limits(settings, cfg)
    return Source(cfg.model, cfg)


def route(settings: GeneratorSettings, req: GenerateRequest,
          has_files: bool) -> tuple[Source, str]:
    """The model for this job and why (the rules are settings; the job records both)."""
    if req.model:
        return choose_source(settings, req.model), "asked for by the request"
    if req.fix_round:
        return choose_source(settings, None), "fixing errors: the default model"
    default = choose_source(settings, None)
    if default.cfg is None:
        return default, "no model configured: the offline generator"
    fast = settings.llm_fast_model
    if fast and has_files and len(req.prompt) <= settings.route_edit_max_chars:
        cfg = with_limits(settings, ModelConfig(
            model=fast, api_base=default.cfg.api_base,
            api_key=_secret(settings.llm_api_key) or default.cfg.api_key))
        return Source(cfg.model, cfg), (
            f"a short change to an existing project (at most "
            f"{settings.route_edit_max_chars} characters): the fast model")
    return default, ("a new build: the default model" if not has_files
                     else "a longer change: the default model")


def fallback_source(settings: GeneratorSettings) -> Source | None:
    """The backup model that continues a job when the chosen one fails, if one is set."""
    model = settings.llm_fallback_model
    if not model:
        return None
    cfg = with_limits(settings, ModelConfig(
        model=model, api_base=settings.llm_fallback_api_base,
        api_key=_secret(settings.llm_fallback_api_key)))
    return Source(cfg.model, cfg)


def morph_config(settings: GeneratorSettings) -> ModelConfig | None:
    """Morph's apply model, when a key is set."""
    key = _secret(settings.morph_api_key)
    if not key:
        return None
    cfg = with_limits(settings, ModelConfig(
        model=f"openai/{settings.morph_model}", api_base=settings.morph_api_base,
        api_key=key, price_model=f"morph/{settings.morph_model}"))
    cfg.temperature = 0.0
    return cfg


def models(settings: GeneratorSettings) -> list[ModelInfo]:
    """What this generator can use (never keys or URLs): the default, the fast and the
    fallback models, Morph's apply model, the defaults of the providers whose keys are set,
    and offline."""
    listed: dict[str, ModelInfo] = {}

    def add(model: str, role: str, ai: bool = True) -> None:
        listed.setdefault(model, ModelInfo(id=model, ai=ai)).roles.append(role)

    default = choose_source(settings, None)
    add(default.label, "default", default.cfg is not None)
    if settings.llm_fast_model and default.cfg is not None:
        add(settings.llm_fast_model, "fast")
    if settings.llm_fallback_model:
        add(settings.llm_fallback_model, "fallback")
    if morph_config(settings) is not None:
        add(f"morph/{settings.morph_model}", "fast-apply: merges partial updates")
    env = settings.model_env()
    for var, _prefix, model in PROVIDER_DEFAULTS:
        if var in env:
            add(model, f"available ({var} is set)")
    add(OFFLINE_LABEL, "offline: built in, not AI", ai=False)
    return list(listed.values())
