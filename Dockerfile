# syntax=docker/dockerfile:1.7
# One image recipe for every Paynto service; pick the service at build time:
#
#   docker build --build-arg SERVICE=gateway      -t paynto/gateway:dev .
#   docker build --build-arg SERVICE=sandbox-pool -t paynto/sandbox-pool:dev .
#
# SERVICE is the kebab-case folder under services/; the image runs `python -m <snake_case>`.
# The `${SERVICE//-/_}` substitution below needs Dockerfile syntax 1.7+ (the line above).

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
ARG UV_VERSION=0.13.9
RUN test -n "${SERVICE}" \
    || { echo "build with --build-arg SERVICE=<gateway|generator|sandbox-pool|scraper|git-sync|batch-worker>" >&2; exit 1; }
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
# The venv lives where the runtime stage puts it, so its scripts' shebangs stay valid.
ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
WORKDIR /src

# Third-party dependencies first, from the lock and the workspace manifests only, so that a
# code change does not reinstall them. uv needs every member's pyproject.toml to read the
# workspace, not just the one being built (tests/test_deploy.py checks this list).
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/
COPY libs/cli/pyproject.toml libs/cli/
COPY services/gateway/pyproject.toml services/gateway/
COPY services/generator/pyproject.toml services/generator/
COPY services/sandbox-pool/pyproject.toml services/sandbox-pool/
COPY services/scraper/pyproject.toml services/scraper/
COPY services/git-sync/pyproject.toml services/git-sync/
COPY services/batch-worker/pyproject.toml services/batch-worker/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "paynto-${SERVICE}"

# Then the workspace code, installed as regular (non-editable) packages: the runtime stage
# copies the venv alone, without /src.
COPY libs ./libs
COPY services ./services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "paynto-${SERVICE}"


FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
# A fixed uid/gid so Kubernetes can check runAsNonRoot and set runAsUser to match.
RUN groupadd --system --gid 10001 paynto \
    && useradd --system --uid 10001 --gid paynto --home-dir /home/paynto --create-home \
        --shell /usr/sbin/nologin paynto \
    && mkdir -p /data \
    && chown paynto:paynto /data

# The scraper takes full-page screenshots with Debian's Chromium (driven by Playwright, every
# request of the page fetched by the SSRF guard); no other service needs a browser.
RUN if [ "${SERVICE}" = "scraper" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
        && rm -rf /var/lib/apt/lists/*; \
    fi

COPY --from=build /app/.venv /app/.venv

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SERVICE=${SERVICE} \
    SERVICE_MODULE=${SERVICE//-/_} \
    PAYNTO_DATA_DIR=/data \
    XDG_CACHE_HOME=/tmp/.cache

# Fail the build, not the first start, if the module is not in the venv.
RUN python -c "import importlib.util, os, sys; sys.exit(importlib.util.find_spec(os.environ['SERVICE_MODULE']) is None)"

USER 10001:10001
WORKDIR /home/paynto
# `exec` replaces the shell with python, so SIGTERM from `docker stop` or the kubelet reaches
# the service itself and it can drain instead of being killed when the grace period ends.
CMD ["/bin/sh", "-c", "exec python -m \"$SERVICE_MODULE\""]
