"""The routing rules as pure functions of the settings: which model writes a job and why, the
fallback, Morph's merge model and the models a generator lists."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from generator.routing import (
    OFFLINE_LABEL,
    choose_source,
    fallback_source,
    models,
    morph_config,
    route,
)
from generator.settings import GeneratorSettings
from paynto_common.messages import GenerateRequest

Settings = Callable[..., GeneratorSettings]
BASE = "http://127.0.0.1:9/v1"
ROUTED = {"llm_model": "openai/strong", "llm_fast_model": "openai/fast", "llm_api_base": BASE,
          "llm_api_key": "k"}


def request(prompt: str = "a bakery site", **fields: object) -> GenerateRequest:
    return GenerateRequest(job_id="j", project_id="p", prompt=prompt, **fields)


def test_nothing_configured_is_the_offline_generator(make_settings: Settings) -> None:
    settings = make_settings()

    source, why = route(settings, request(), has_files=False)

    assert (source.label, source.cfg) == (OFFLINE_LABEL, None)
    assert why == "no model configured: the offline generator"
    # LLM_MODEL=offline wins over any key.
    offline = make_settings(llm_model="offline", openai_api_key="sk")
    assert choose_source(offline, None).cfg is None


def test_the_environment_is_not_read(make_settings: Settings,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")

    assert choose_source(make_settings(), None).label == OFFLINE_LABEL
    assert choose_source(make_settings(openai_api_key="sk"), None).label == "openai/gpt-4.1-mini"


def test_settings_read_the_provider_keys_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LLM_MODEL", "LLM_API_BASE", "LLM_API_KEY", "AI_GATEWAY_API_KEY",
                "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GROQ_API_KEY", "gsk")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "   ")

    settings = GeneratorSettings(_env_file=None)

    assert settings.model_env() == {"GROQ_API_KEY": "gsk"}
    source = choose_source(settings, None)
    assert source.label == "groq/moonshotai/kimi-k2-instruct"
    assert source.cfg is not None and source.cfg.api_key_value() == "gsk"


def test_a_new_build_a_short_edit_and_a_long_edit(make_settings: Settings) -> None:
    settings = make_settings(**ROUTED)

    built = route(settings, request(), has_files=False)
    edited = route(settings, request("make the title bigger"), has_files=True)
    reworked = route(settings, request("rework the layout " * 40), has_files=True)

    assert [(s.label, why) for s, why in (built, edited, reworked)] == [
        ("openai/strong", "a new build: the default model"),
        ("openai/fast", "a short change to an existing project (at most 400 characters): "
                        "the fast model"),
        ("openai/strong", "a longer change: the default model"),
    ]
    fast = edited[0].cfg
    assert fast is not None and (fast.api_base, fast.api_key_value()) == (BASE, "k")


def test_the_edit_threshold_is_a_setting(make_settings: Settings) -> None:
    settings = make_settings(**ROUTED, route_edit_max_chars=10)

    source, why = route(settings, request("make the title bigger"), has_files=True)

    assert (source.label, why) == ("openai/strong", "a longer change: the default model")


def test_a_requested_model_and_a_fix_round(make_settings: Settings) -> None:
    settings = make_settings(**ROUTED)

    asked, why = route(settings, request("tweak", model="openai/other"), has_files=True)
    fixing, fix_why = route(settings, request("tweak", fix_round=1), has_files=True)

    assert (asked.label, why) == ("openai/other", "asked for by the request")
    assert asked.cfg is not None and asked.cfg.api_base == BASE
    assert (fixing.label, fix_why) == ("openai/strong", "fixing errors: the default model")
    offline, _ = route(settings, request(model=OFFLINE_LABEL), has_files=False)
    assert offline.cfg is None


def test_every_model_gets_the_limits(make_settings: Settings) -> None:
    settings = make_settings(**ROUTED, llm_timeout_seconds=7.5, llm_max_tokens=321,
                             llm_fallback_model="openai/backup", morph_api_key="m")

    configs = [route(settings, request(), False)[0].cfg,
               route(settings, request("x"), True)[0].cfg, choose_source(settings, "o/x").cfg]
    backup = fallback_source(settings)
    configs += [backup.cfg if backup else None, morph_config(settings)]

    assert [(c.timeout, c.max_tokens) if c else None for c in configs] == [(7.5, 321)] * 5


def test_the_fallback_has_its_own_base_and_key(make_settings: Settings) -> None:
    assert fallback_source(make_settings(**ROUTED)) is None

    backup = fallback_source(make_settings(**ROUTED, llm_fallback_model="openai/backup",
                                           llm_fallback_api_base="http://b/v1",
                                           llm_fallback_api_key="k2"))

    assert backup is not None and backup.cfg is not None
    assert (backup.label, backup.cfg.api_base, backup.cfg.api_key_value()) == \
        ("openai/backup", "http://b/v1", "k2")


def test_morph_needs_a_key(make_settings: Settings) -> None:
    assert morph_config(make_settings()) is None

    cfg = morph_config(make_settings(morph_api_key="m", morph_model="morph-v3-large"))

    assert cfg is not None
    assert (cfg.model, cfg.price_model, cfg.api_key_value(), cfg.temperature) == \
        ("openai/morph-v3-large", "morph/morph-v3-large", "m", 0.0)
    assert cfg.api_base == "https://api.morphllm.com/v1"


def test_models_list_roles_and_never_secrets(make_settings: Settings) -> None:
    settings = make_settings(**ROUTED, llm_fallback_model="openai/backup",
                             llm_fallback_api_base="http://secret-host/v1",
                             llm_fallback_api_key="k2", morph_api_key="m-secret",
                             gemini_api_key="g-secret")

    listed = models(settings)

    assert {m.id: (m.ai, m.roles) for m in listed} == {
        "openai/strong": (True, ["default"]),
        "openai/fast": (True, ["fast"]),
        "openai/backup": (True, ["fallback"]),
        "morph/morph-v3-fast": (True, ["fast-apply: merges partial updates"]),
        "gemini/gemini-2.5-flash": (True, ["available (GEMINI_API_KEY is set)"]),
        OFFLINE_LABEL: (False, ["offline: built in, not AI"]),
    }
    shown = str([m.model_dump() for m in listed])
    assert "secret" not in shown and BASE not in shown


def test_models_offline_only(make_settings: Settings) -> None:
    listed = models(make_settings(llm_fast_model="openai/fast"))

    assert [(m.id, m.ai, m.roles) for m in listed] == [
        (OFFLINE_LABEL, False, ["default", "offline: built in, not AI"])]
