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
    # A backup model that continues a job when the chosen one fails (outage, refusal, cut
    # stream), with its own base URL and key when it needs them.
    llm_fallback_model: str | None = None
    llm_fallback_api_base: str | None = None
    llm_fallback_api_key: SecretStr | None = None
    # Provider keys, under litellm's own variable names: with no LLM_MODEL, the first one set
    # picks the default model (generator.llm.resolve_model), and each one set adds its
    # provider's default to the models the studio lists.
    ai_gateway_api_key: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    gemini_api_key: SecretStr | None = None
    groq_api_key: SecretStr | None = None
    # Routing: a short request (at most ROUTE_EDIT_MAX_CHARS) on a project that already has
    # files goes to this faster model (same base URL and key as LLM_MODEL); new builds and
    # longer requests go to LLM_MODEL.
    llm_fast_model: str | None = None
    route_edit_max_chars: int = 400
    llm_timeout_seconds: float = 120.0
    llm_max_tokens: int = 8192
    # Model calls wait on the network, so one replica runs many at once.
    concurrency: int = 64
    ack_wait_seconds: float = 30.0
    max_deliver: int = 5
    # Fast-apply: with a Morph key, a model may send only the changed parts of a long file
    # and Morph's apply model (OpenAI-compatible API) merges them.
    morph_api_key: SecretStr | None = None
    morph_api_base: str = "https://api.morphllm.com/v1"
    morph_model: str = "morph-v3-fast"
    # The fix loop: compile errors left by an answer go back to the model at most this many
    # times (0: never), and not once the job's model calls used AUTOFIX_TOKEN_BUDGET tokens
    # (0: no limit).
    autofix_rounds: int = 2
    autofix_token_budget: int = 60000

    def model_env(self) -> dict[str, str]:
        """The variables :func:`generator.llm.resolve_model` reads, as these settings hold
        them; blank ones are left out, as unset."""
        values = {
            "LLM_MODEL": self.llm_model, "LLM_API_BASE": self.llm_api_base,
            "LLM_API_KEY": self.llm_api_key, "AI_GATEWAY_API_KEY": self.ai_gateway_api_key,
            "OPENAI_API_KEY": self.openai_api_key, "ANTHROPIC_API_KEY": self.anthropic_api_key,
            "GEMINI_API_KEY": self.gemini_api_key, "GROQ_API_KEY": self.groq_api_key,
        }
        env = {}
        for name, value in values.items():
            text = value.get_secret_value() if isinstance(value, SecretStr) else value
            if text and text.strip():
                env[name] = text
        return env
