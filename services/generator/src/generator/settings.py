"""Generator settings."""

from __future__ import annotations

from pydantic import SecretStr

from paynto_common.settings import CommonSettings


class GeneratorSettings(CommonSettings):
    service_name: str = "generator"
    health_port: int = 9101
    # A litellm model string ("openai/gpt-4.1-mini", "ollama/llama3.1", ...) or "offline".
    llm_model: str | None = None
    # An OpenAI-compatible base URL (Ollama, LM Studio, a proxy) and its key, if any.
    llm_api_base: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = 120.0
    llm_max_tokens: int = 8192
    # Model calls wait on the network, so one replica runs many at once.
    concurrency: int = 64
    ack_wait_seconds: float = 30.0
    max_deliver: int = 5
