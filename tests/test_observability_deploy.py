"""Offline checks of the observability and production-edge files: the Grafana dashboard, the
alert rules and their runbook, Prometheus' and the trace collector's compose configuration,
the Ingress, the NetworkPolicies, the migration Job, and the schemas of the custom resources.

Nothing here starts a container or talks to a cluster (this machine has neither): the files
are parsed and held against the code (``paynto_common.metrics.names()``, the launcher's list of
services, the job kinds), against each other (compose, Prometheus, the dashboard and the
Kubernetes objects name the same services and ports), and against the JSON schemas the
repository carries in ``deploy/schemas`` (the Compose Specification's, and narrow ones written
from the KEDA and Prometheus Operator CRDs). The ``*_problems`` helpers return findings, so the
negative tests at the bottom show each check failing on a broken input.
"""

from __future__ import annotations

import copy
import importlib.util
import ipaddress
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.test_deploy import (
    BUILDS,
    COMPOSE,
    COMPOSE_NO_SHELL,
    CONFIG_NAME,
    DURABLE,
    GATEWAY,
    GATEWAY_PORT,
    K8S_VERSIONS,
    ROOT,
    SECRET_NAME,
    SERVICES,
    WORKER_PORTS,
    container_env,
    find,
    get,
    load_docs,
    named_ports,
    of_kind,
    pod_spec,
    render,
    service_monitor_problems,
    split_image,
    workload_problems,
)

DEPLOY = ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "paynto-dashboard.json"
PROVISIONING = DEPLOY / "grafana" / "provisioning"
ALERTS = DEPLOY / "prometheus" / "alerts.yaml"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
COLLECTOR_CONFIG = DEPLOY / "otel" / "collector.yaml"
SCHEMAS = DEPLOY / "schemas"
RUNBOOK = ROOT / "docs" / "runbook.md"
MIGRATION_JOB = "paynto-migrate"
MIGRATE_COMMAND = ["python", "-m", "paynto_common.migrate"]
OVERVIEW = "Overview"

# The custom kinds the manifests use, and the schema each is validated against.
CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject.schema.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "triggerauthentication.schema.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor.schema.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule.schema.json",
}

# Grafana's built-in variables, given a value so that a query parses as plain PromQL.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}
# Labels Prometheus adds to every scraped series, and the histogram's bucket label.
TARGET_LABELS = {"job", "instance"}

# What each pod may reach (egress) besides the cluster's DNS, by need. "https"/"http" mean
# public addresses on 443/80; the in-cluster needs are the pods (dev) or, where the prod overlay
# moves Postgres and Redis out of the cluster, their port towards any address.
NEEDS = {
    GATEWAY: {"nats", "postgres", "redis", "https"},
    "generator": {"nats", "postgres", "https"},
    "sandbox-pool": {"nats", "postgres", "https"},
    "scraper": {"nats", "postgres", "http", "https"},
    "git-sync": {"nats", "postgres", "https"},
    "batch-worker": {"nats", "postgres", "redis"},
    MIGRATION_JOB: {"postgres"},
    "nats": {"nats-cluster"},
    "postgres": set(),
    "redis": set(),
}
# The namespaces the policies let in: the ingress controller, Prometheus, KEDA.
INGRESS_NAMESPACE, PROMETHEUS_NAMESPACE, KEDA_NAMESPACE = "ingress-nginx", "monitoring", "keda"
# What the "public internet" ipBlocks must leave out: cluster, node, loopback and metadata
# addresses (RFC 1918, carrier-grade NAT, loopback, link-local).
PRIVATE_RANGES = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                  "127.0.0.0/8", "169.254.0.0/16"}


def kebab(module: str) -> str:
    return module.replace("_", "-")


def launched_services() -> list[str]:
    """Every service the code starts (``paynto up``'s list), by its deploy name."""
    from paynto_cli.launcher import SERVICES as MODULES

    return [kebab(module) for module in MODULES]


def service_port(name: str) -> int:
    return GATEWAY_PORT if name == GATEWAY else WORKER_PORTS[name]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {name: render(path) for name, path in BUILDS.items()}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


@pytest.fixture(scope="module")
def alerts() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ALERTS.read_text())
    return data


@pytest.fixture(scope="module")
def prometheus_config() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    return data


def load_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    return schema


def schema_errors(schema: dict[str, Any], document: Any) -> list[str]:
    """Every way ``document`` breaks ``schema`` (in the draft the schema declares)."""
    # The Compose Specification writes draft 7's URI without its trailing '#', which
    # jsonschema does not recognise by itself.
    declared = schema.get("$schema", "")
    validator_class = (jsonschema.Draft7Validator if "draft-07" in declared
                       else jsonschema.validators.validator_for(schema))
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
            for error in validator.iter_errors(document)]


# --- Queries --------------------------------------------------------------------------------


def dashboard_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those inside collapsed rows."""
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, PromQL) for every query, Grafana's variables given a value."""
    queries = []
    for panel in dashboard_panels(dashboard):
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            queries.append((f"panel {panel['title']!r} {target['refId']}", expr))
    return queries


def alert_rules(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [rule for group in groups for rule in group["rules"]]


def alert_queries(alerts: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f"alert {rule['alert']}", rule["expr"]) for rule in alert_rules(alerts["groups"])]


def all_queries(dashboard: dict[str, Any], alerts: dict[str, Any]) -> list[tuple[str, str]]:
    return dashboard_queries(dashboard) + alert_queries(alerts)


def exported() -> dict[str, tuple[str, set[str]]]:
    """family → (type, label names) of every metric the code defines. The names come from
    ``paynto_common.metrics.names()``; the type and labels from the metric objects."""
    from paynto_common import metrics

    names = metrics.names()
    families: dict[str, tuple[str, set[str]]] = {}
    for metric in metrics.ALL:
        kind = getattr(metric, "_type", "")
        name = metric._name
        family = f"{name}_total" if kind == "counter" else name
        families[family] = (kind, set(getattr(metric, "_labelnames", ())))
    # names() is the contract; the objects only add type and labels.
    assert set(families) == names, "metrics.ALL and metrics.names() disagree"
    return families


def family_of(series: str, families: dict[str, tuple[str, set[str]]]) -> str | None:
    """The family a series name belongs to: itself, or a histogram's ``_bucket``, ``_sum``
    and ``_count``; None when the code exports no such series."""
    if series in families:
        return series
    for suffix in ("_bucket", "_sum", "_count"):
        stem = series.removesuffix(suffix)
        if stem != series and families.get(stem, ("", set()))[0] == "histogram":
            return stem
    return None


_METRIC = re.compile(r"\b(paynto_[A-Za-z0-9_]+)\b")
_SELECTOR = re.compile(r"\b(paynto_[A-Za-z0-9_]+|up)\s*\{([^}]*)\}")
_MATCHER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*\"([^\"]*)\"")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)")


def query_problems(where: str, expr: str,
                   families: dict[str, tuple[str, set[str]]]) -> list[str]:
    """Crude PromQL reading: every ``paynto_*`` identifier is an exported series, every label
    a selector or a grouping names is one of those metrics' labels."""
    problems = []
    used = set()
    for series in _METRIC.findall(expr):
        family = family_of(series, families)
        if family is None:
            problems.append(f"{where}: {series} is not a metric the code exports")
        else:
            used.add(family)
    known = set(TARGET_LABELS)
    for family in used:
        known |= families[family][1]
    for series, matchers in _SELECTOR.findall(expr):
        family = family_of(series, families) if series != "up" else None
        labels = set(TARGET_LABELS)
        if family is not None:
            labels |= families[family][1] | ({"le"} if series.endswith("_bucket") else set())
        for label, _, _ in _MATCHER.findall(matchers):
            if label not in labels:
                problems.append(f"{where}: {series} has no label {label!r}")
    if "_bucket" in expr:
        known.add("le")
    for grouping in _GROUPING.findall(expr):
        for label in filter(None, (part.strip() for part in grouping.split(","))):
            if label not in known:
                problems.append(f"{where}: groups by {label!r}, which no metric of it has")
    return problems


def balance_problems(where: str, expr: str) -> list[str]:
    """Brackets, braces, parentheses and quotes close, in order."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    in_string = False
    for char in expr:
        if char == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return [f"{where}: unbalanced {char!r}"]
    return [f"{where}: unclosed {stack}"] if stack or in_string else []


def scrape_jobs(prometheus_config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {job["job_name"]: job for job in prometheus_config["scrape_configs"]}


def label_value_problems(where: str, expr: str, jobs: set[str]) -> list[str]:
    """Values the code and the deployment define: ``job`` is a scrape job (a service),
    ``service`` a durable consumer, ``kind`` a job kind."""
    from paynto_common.messages import JOB_KINDS

    allowed = {"job": jobs, "service": set(DURABLE.values()), "kind": set(JOB_KINDS)}
    problems = []
    for _, matchers in _SELECTOR.findall(expr):
        for label, op, value in _MATCHER.findall(matchers):
            if label not in allowed or op not in ("=", "=~"):
                continue
            values = value.split("|") if op == "=~" else [value]
            for one in values:
                if one not in allowed[label]:
                    problems.append(f"{where}: {label}={one!r} names nothing that exists")
    return problems


# --- Tests: queries name what the code exports ----------------------------------------------


def test_the_code_lists_its_metrics() -> None:
    families = exported()
    assert {"paynto_http_requests_total", "paynto_prompt_to_preview_seconds",
            "paynto_consumer_pending", "paynto_model_cost_usd_total",
            "paynto_dead_letters_total", "paynto_sandboxes_warm"} <= set(families)


def test_dashboard_and_alerts_name_only_exported_metrics(
        dashboard: dict[str, Any], alerts: dict[str, Any]) -> None:
    families = exported()
    queries = all_queries(dashboard, alerts)
    assert len(queries) > 40
    problems = [p for where, expr in queries for p in query_problems(where, expr, families)]
    assert not problems, "\n".join(problems)


def test_queries_are_well_formed(dashboard: dict[str, Any], alerts: dict[str, Any]) -> None:
    problems = [p for where, expr in all_queries(dashboard, alerts)
                for p in balance_problems(where, expr)]
    assert not problems, "\n".join(problems)


def test_queries_parse_as_promql(dashboard: dict[str, Any], alerts: dict[str, Any]) -> None:
    """A real PromQL parser, when the promql-parser package is installed (it is not one of
    the project's dependencies: the crude checks above always run)."""
    parser = pytest.importorskip("promql_parser")
    failures = []
    for where, expr in all_queries(dashboard, alerts):
        try:
            parser.parse(expr)
        except ValueError as error:
            failures.append(f"{where}: {error}")
    assert not failures, "\n".join(failures)


def test_label_values_name_real_services_and_kinds(
        dashboard: dict[str, Any], alerts: dict[str, Any],
        prometheus_config: dict[str, Any]) -> None:
    jobs = set(scrape_jobs(prometheus_config))
    problems = [p for where, expr in all_queries(dashboard, alerts)
                for p in label_value_problems(where, expr, jobs)]
    assert not problems, "\n".join(problems)


# --- Tests: the dashboard -------------------------------------------------------------------


def dashboard_rows(dashboard: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Row title → the panels under it (the panels that follow it, or its own if collapsed)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    current: list[dict[str, Any]] | None = None
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            current = rows.setdefault(panel["title"], list(panel.get("panels", [])))
        elif current is not None:
            current.append(panel)
    return rows


def dashboard_problems(dashboard: dict[str, Any]) -> list[str]:
    """The shape Grafana loads: unique ids, panels on the 24-column grid without overlap, every
    query through the ``$datasource`` variable."""
    problems = []
    for field in ("uid", "title", "schemaVersion", "panels", "templating"):
        if field not in dashboard:
            problems.append(f"dashboard has no {field}")
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    datasource = variables.get("datasource", {})
    if datasource.get("type") != "datasource" or datasource.get("query") != "prometheus":
        problems.append("no $datasource variable of Prometheus data sources")
    ids = [panel["id"] for panel in dashboard_panels(dashboard)]
    if len(ids) != len(set(ids)):
        problems.append("panel ids repeat")
    cells: set[tuple[int, int]] = set()
    for panel in dashboard_panels(dashboard):
        grid = panel["gridPos"]
        if grid["x"] < 0 or grid["x"] + grid["w"] > 24:
            problems.append(f"panel {panel['title']!r} is off the grid")
        mine = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}
        if mine & cells:
            problems.append(f"panel {panel['title']!r} overlaps another")
        cells |= mine
        if panel["type"] == "row":
            continue
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"panel {panel['title']!r} does not use $datasource")
        targets = panel.get("targets", [])
        if not targets:
            problems.append(f"panel {panel['title']!r} has no query")
        if len({t["refId"] for t in targets}) != len(targets):
            problems.append(f"panel {panel['title']!r} repeats a refId")
        for target in targets:
            if target.get("datasource", {}).get("uid") != "${datasource}":
                problems.append(f"panel {panel['title']!r} {target['refId']}: not $datasource")
    return problems


def test_dashboard_is_a_grafana_dashboard(dashboard: dict[str, Any]) -> None:
    problems = dashboard_problems(dashboard)
    assert not problems, "\n".join(problems)


def test_dashboard_overview_shows_the_user_facing_figures(dashboard: dict[str, Any]) -> None:
    rows = dashboard_rows(dashboard)
    assert next(iter(rows)) == OVERVIEW, "the overview comes first"
    exprs = " ".join(t["expr"] for p in rows[OVERVIEW] for t in p.get("targets", []))
    # prompt → preview p50 and p95, error rate, queue lag, spend
    assert "histogram_quantile(0.5," in exprs and "histogram_quantile(0.95," in exprs
    assert "paynto_prompt_to_preview_seconds_bucket" in exprs
    assert 'paynto_http_requests_total{status=~"5.."}' in exprs
    assert 'paynto_jobs_handled_total{outcome="failed"}' in exprs
    assert "paynto_consumer_pending" in exprs
    assert "paynto_model_cost_usd_total" in exprs


@pytest.mark.parametrize("service", launched_services())
def test_every_service_has_a_dashboard_row(dashboard: dict[str, Any], service: str) -> None:
    rows = dashboard_rows(dashboard)
    assert service in rows, f"no dashboard row for {service}"
    exprs = [t["expr"] for p in rows[service] for t in p.get("targets", [])]
    assert f'up{{job="{service}"}}' in " ".join(exprs), f"{service}'s row shows no replicas"
    if service in DURABLE:
        # A bus worker's row shows its own jobs and consumer.
        assert any(f'service="{service}"' in e and "paynto_consumer_pending" in e
                   for e in exprs), service


def test_grafana_provisioning(compose: dict[str, Any]) -> None:
    (source,) = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yaml").read_text())[
        "datasources"]
    assert source["type"] == "prometheus" and source["isDefault"] is True
    prometheus = urlsplit(source["url"])
    assert prometheus.hostname in compose["services"]
    assert str(prometheus.port) in " ".join(compose["services"]["prometheus"]["ports"])
    (provider,) = yaml.safe_load((PROVISIONING / "dashboards" / "paynto.yaml").read_text())[
        "providers"]
    assert provider["type"] == "file"
    grafana = compose["services"]["grafana"]
    mounts = dict(volume.rsplit(":", 2)[:2] if volume.count(":") == 2 else volume.split(":", 1)
                  for volume in grafana["volumes"])
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    dashboard_path = mounts[f"./{DASHBOARD.relative_to(ROOT).as_posix()}"]
    assert Path(dashboard_path).parent.as_posix() == provider["options"]["path"]
    assert grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] == dashboard_path
    assert grafana["depends_on"]["prometheus"]["condition"] == "service_healthy"


# --- Tests: alerts and the runbook ----------------------------------------------------------


def runbook_sections() -> dict[str, str]:
    """``## Name`` heading → its text."""
    parts = re.split(r"^## (.+)$", RUNBOOK.read_text(), flags=re.M)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def alert_problems(groups: list[dict[str, Any]]) -> list[str]:
    problems = []
    sections = runbook_sections()
    names = [rule.get("alert") for rule in alert_rules(groups)]
    if len(names) != len(set(names)):
        problems.append("alert names repeat")
    for rule in alert_rules(groups):
        name = rule.get("alert", "<record>")
        if rule.get("labels", {}).get("severity") not in ("warning", "critical"):
            problems.append(f"{name}: severity is not warning or critical")
        annotations = rule.get("annotations", {})
        for field in ("summary", "description", "runbook", "runbook_url"):
            if not annotations.get(field, "").strip():
                problems.append(f"{name}: no {field}")
        if annotations.get("runbook_url") != f"docs/runbook.md#{name.lower()}":
            problems.append(f"{name}: runbook_url is not its section of docs/runbook.md")
        section = sections.get(name)
        if section is None:
            problems.append(f"{name}: docs/runbook.md has no section")
        elif not all(part in section for part in ("**Means:**", "**Check:**", "**Do:**")):
            problems.append(f"{name}: its runbook section lacks Means, Check or Do")
    for title in set(sections) - set(names):
        problems.append(f"docs/runbook.md: section {title} is no alert")
    return problems


def test_alerts_have_runbooks(alerts: dict[str, Any]) -> None:
    problems = alert_problems(alerts["groups"])
    assert not problems, "\n".join(problems)


def test_alerts_cover_what_the_issue_asks(alerts: dict[str, Any]) -> None:
    """Lag growing, error rate, sandbox pool exhausted, budget burn, dead letters."""
    exprs = {rule["alert"]: rule["expr"] for rule in alert_rules(alerts["groups"])}
    wanted = {
        "lag growing": "deriv(paynto_consumer_pending",
        "error rate": 'paynto_http_requests_total{status=~"5.."}',
        "sandbox pool exhausted": "paynto_sandboxes_warm",
        "budget burn": "paynto_model_cost_usd_total",
        "dead letters": "paynto_dead_letters_total",
    }
    for what, needle in wanted.items():
        assert any(needle in expr for expr in exprs.values()), f"no alert on {what}"
    down = exprs["PayntoServiceDown"]
    (jobs,) = re.findall(r'job=~"([^"]+)"', down)
    assert set(jobs.split("|")) == set(launched_services())


def test_alert_file_is_a_rule_file(alerts: dict[str, Any]) -> None:
    """The rule-file format is the PrometheusRule's spec: the same schema holds it."""
    assert set(alerts) == {"groups"}
    spec_schema = dict(load_schema("prometheusrule.schema.json")["properties"]["spec"])
    spec_schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    problems = schema_errors(spec_schema, alerts)
    assert not problems, "\n".join(problems)


def test_prometheus_rule_is_the_alert_file(rendered: dict[str, list[dict[str, Any]]],
                                           alerts: dict[str, Any]) -> None:
    """One source of truth: the PrometheusRule carries alerts.yaml's groups unchanged."""
    for build in ("base", "prod"):
        (rule,) = of_kind(rendered[build], "PrometheusRule")
        assert rule["spec"]["groups"] == alerts["groups"], build


def test_runbook_names_real_panels(dashboard: dict[str, Any]) -> None:
    """A panel the runbook tells you to look at exists under that title."""
    titles = {panel["title"] for panel in dashboard_panels(dashboard)} | {dashboard["title"]}
    text = re.sub(r"`[^`]*`", "", RUNBOOK.read_text())
    quoted = {" ".join(q.split()) for q in re.findall(r'"([^"]+)"', text)}
    assert quoted, "the runbook names no panel"
    assert quoted <= titles, sorted(quoted - titles)


# --- Tests: compose -------------------------------------------------------------------------


def test_compose_follows_the_compose_spec(compose: dict[str, Any]) -> None:
    problems = schema_errors(load_schema("compose-spec.json"), compose)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("service", launched_services())
def test_every_service_is_composed_scraped_and_traced(
        compose: dict[str, Any], prometheus_config: dict[str, Any], service: str) -> None:
    composed = compose["services"][service]
    env = composed["environment"]
    assert env["LOG_FORMAT"] == "json"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    assert composed["depends_on"]["otel-collector"]["condition"] == "service_started"
    # Scalable: no fixed container name; only the gateway publishes a host port.
    assert "container_name" not in composed
    assert ("ports" in composed) == (service == GATEWAY)
    job = scrape_jobs(prometheus_config)[service]
    (discovery,) = job["dns_sd_configs"]
    # DNS discovery finds every replica that `--scale` starts.
    assert discovery["names"] == [service] and discovery["type"] == "A"
    assert discovery["port"] == service_port(service)
    assert job.get("metrics_path", "/metrics") == "/metrics"


def test_compose_observability(compose: dict[str, Any],
                               prometheus_config: dict[str, Any]) -> None:
    services = compose["services"]
    prometheus = services["prometheus"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "/etc/prometheus/alerts.yaml" in prometheus_config["rule_files"]
    assert any("--config.file=/etc/prometheus/prometheus.yml" == arg
               for arg in prometheus["command"])
    # Every UI is on the host's loopback only.
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    # Bind mounts name files that exist.
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
    for name in ("otel-collector", "jaeger", "prometheus", "grafana"):
        assert services[name]["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in services[name]["security_opt"], name
    jaeger = services["jaeger"]
    assert jaeger["environment"]["JAEGER_LISTEN_HOST"] == "0.0.0.0"
    assert any(str(p).endswith(":16686") for p in jaeger["ports"])
    assert COMPOSE_NO_SHELL <= set(services)


def collector_problems(config: dict[str, Any], compose: dict[str, Any]) -> list[str]:
    """The collector receives OTLP/HTTP where the services send it, and every pipeline names
    components that are configured, ending at Jaeger's OTLP gRPC port."""
    problems = []
    pipelines = config.get("service", {}).get("pipelines", {})
    if "traces" not in pipelines:
        problems.append("no traces pipeline")
    for pipeline, parts in pipelines.items():
        for section in ("receivers", "processors", "exporters"):
            for component in parts.get(section, []):
                if component not in config.get(section, {}):
                    problems.append(f"{pipeline}: {section[:-1]} {component} is not configured")
    for extension in config.get("service", {}).get("extensions", []):
        if extension not in config.get("extensions", {}):
            problems.append(f"extension {extension} is not configured")
    sent_to = urlsplit(compose["x-paynto-env"]["OTEL_EXPORTER_OTLP_ENDPOINT"])
    http = config.get("receivers", {}).get("otlp", {}).get("protocols", {}).get("http", {})
    if sent_to.hostname != "otel-collector" or http.get("endpoint") != f"0.0.0.0:{sent_to.port}":
        problems.append(f"the services send to {sent_to.geturl()}, the collector listens on "
                        f"{http.get('endpoint')}")
    exporters = [name for parts in pipelines.values() for name in parts.get("exporters", [])]
    endpoints = {config["exporters"].get(name, {}).get("endpoint") for name in exporters}
    if "jaeger:4317" not in endpoints:
        problems.append(f"no exporter sends to Jaeger's OTLP port: {sorted(map(str, endpoints))}")
    return problems


def test_collector_config(compose: dict[str, Any]) -> None:
    config = yaml.safe_load(COLLECTOR_CONFIG.read_text())
    problems = collector_problems(config, compose)
    assert not problems, "\n".join(problems)
    collector = compose["services"]["otel-collector"]
    source = f"./{COLLECTOR_CONFIG.relative_to(ROOT).as_posix()}"
    assert f"{source}:/etc/otelcol-contrib/config.yaml:ro" in collector["volumes"]
    assert "jaeger" in compose["services"]


# --- Tests: Kubernetes custom resources against the carried schemas -------------------------


def crd_problems(resources: list[dict[str, Any]]) -> list[str]:
    problems = []
    for doc in resources:
        schema_file = CRD_SCHEMAS.get((doc["apiVersion"], doc["kind"]))
        if schema_file is None:
            continue
        for error in schema_errors(load_schema(schema_file), doc):
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {error}")
    return problems


@pytest.mark.parametrize("build", BUILDS)
def test_custom_resources_match_their_schemas(rendered: dict[str, list[dict[str, Any]]],
                                              build: str) -> None:
    problems = crd_problems(rendered[build])
    assert not problems, "\n".join(problems)


def test_every_custom_kind_has_a_schema(rendered: dict[str, list[dict[str, Any]]]) -> None:
    from tests.test_deploy import CUSTOM_KINDS

    assert set(CRD_SCHEMAS) == CUSTOM_KINDS
    kinds = {(d["apiVersion"], d["kind"]) for r in rendered.values() for d in r}
    assert CUSTOM_KINDS <= kinds, "a schema for a kind no manifest uses"


# --- Tests: every service everywhere --------------------------------------------------------


@pytest.mark.parametrize("service", launched_services())
def test_every_service_is_deployed_and_monitored(rendered: dict[str, list[dict[str, Any]]],
                                                 service: str) -> None:
    for build, resources in rendered.items():
        assert find(resources, "Deployment", service), f"{build}: no Deployment {service}"
        assert find(resources, "Service", service), f"{build}: no Service {service}"
        assert find(resources, "NetworkPolicy", service), f"{build}: no NetworkPolicy {service}"
    for build in ("base", "prod"):
        resources = rendered[build]
        assert not service_monitor_problems(resources), build
        assert service_port_is_scraped(resources, service), f"{build}: {service} is not scraped"


def service_port_is_scraped(resources: list[dict[str, Any]], service: str) -> bool:
    """Some ServiceMonitor selects the Service and scrapes the port that carries /metrics."""
    svc = get(resources, "Service", service)
    ports = {p["name"]: p for p in svc["spec"]["ports"]}
    deployment = get(resources, "Deployment", service)
    container_ports = named_ports(pod_spec(deployment)["containers"][0])
    for monitor in of_kind(resources, "ServiceMonitor"):
        match = monitor["spec"]["selector"].get("matchLabels", {})
        if not all(svc["metadata"]["labels"].get(k) == v for k, v in match.items()):
            continue
        for endpoint in monitor["spec"]["endpoints"]:
            port = ports.get(endpoint.get("port"))
            if port and container_ports.get(port["targetPort"]) == service_port(service):
                return True
    return False


# --- Tests: the Ingress ---------------------------------------------------------------------


def ingress_problems(resources: list[dict[str, Any]]) -> list[str]:
    problems = []
    main = find(resources, "Ingress", GATEWAY)
    if main is None:
        return ["no Ingress for the gateway"]
    notes = main["metadata"].get("annotations", {})
    if notes.get("nginx.ingress.kubernetes.io/proxy-buffering") != "off":
        problems.append("SSE needs proxy-buffering off")
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        value = notes.get(f"nginx.ingress.kubernetes.io/{timeout}", "60")
        if not value.isdigit() or int(value) < 3600:
            problems.append(f"{timeout} {value}s would cut quiet SSE streams and HMR sockets")
    spec = main["spec"]
    if spec.get("ingressClassName") != "nginx":
        problems.append("ingressClassName is not nginx (the annotations are ingress-nginx's)")
    hosts = {rule.get("host") for rule in spec["rules"]}
    tls_hosts = {host for tls in spec.get("tls", []) for host in tls.get("hosts", [])}
    if not spec.get("tls") or not all(tls.get("secretName") for tls in spec["tls"]):
        problems.append("no TLS secret")
    if not hosts <= tls_hosts:
        problems.append(f"hosts {sorted(map(str, hosts - tls_hosts))} are served without TLS")
    service = get(resources, "Service", GATEWAY)
    port_names = {p["name"] for p in service["spec"]["ports"]}
    routed = {}
    for rule in spec["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            routed[path["path"]] = path["pathType"]
            if backend["name"] != GATEWAY or backend["port"].get("name") not in port_names:
                problems.append(f"{path['path']} does not go to the gateway's http port")
    for needed in ("/", "/preview/", "/sites/"):
        if routed.get(needed) != "Prefix":
            problems.append(f"{needed} is not routed to the gateway as a prefix")
    # /metrics stays inside the cluster.
    closed = [i for i in of_kind(resources, "Ingress")
              if any(p["path"] == "/metrics" and p["pathType"] == "Exact"
                     for rule in i["spec"]["rules"] for p in rule["http"]["paths"])]
    allowed = [i["metadata"].get("annotations", {}).get(
        "nginx.ingress.kubernetes.io/whitelist-source-range", "0.0.0.0/0") for i in closed]
    if not closed or any(not set(a.split(",")) <= {"127.0.0.1/32"} for a in allowed):
        problems.append("/metrics is reachable from the internet")
    return problems


@pytest.mark.parametrize("build", BUILDS)
def test_ingress(rendered: dict[str, list[dict[str, Any]]], build: str) -> None:
    problems = ingress_problems(rendered[build])
    assert not problems, "\n".join(problems)


def test_prod_ingress_serves_public_url(rendered: dict[str, list[dict[str, Any]]]) -> None:
    prod = rendered["prod"]
    public = urlsplit(get(prod, "ConfigMap", CONFIG_NAME)["data"]["PUBLIC_URL"])
    assert public.scheme == "https"
    for ingress in of_kind(prod, "Ingress"):
        assert {rule["host"] for rule in ingress["spec"]["rules"]} == {public.hostname}


# --- Tests: NetworkPolicies -----------------------------------------------------------------


def pod_templates(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Workload name → {"labels", "ports"} of its pods."""
    pods = {}
    for resource in resources:
        if resource["kind"] in {"Deployment", "StatefulSet", "Job"}:
            ports: dict[str, int] = {}
            for container in pod_spec(resource)["containers"]:
                ports.update(named_ports(container))
            pods[resource["metadata"]["name"]] = {
                "labels": resource["spec"]["template"]["metadata"].get("labels", {}),
                "ports": ports}
    return pods


def selector_selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels and matchExpressions); {} selects everything."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, op, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        matches = {"In": present and labels[key] in values,
                   "NotIn": not present or labels[key] not in values,
                   "Exists": present, "DoesNotExist": not present}[op]
        if not matches:
            return False
    return True


def peer_names(peer: dict[str, Any], pods: dict[str, dict[str, Any]]) -> list[str]:
    """What a policy peer stands for: the pods it selects here (``pod/<name>``), a namespace
    (``ns/<name>``), the public internet, anywhere, or another address block."""
    if block := peer.get("ipBlock"):
        if block["cidr"] in ("0.0.0.0/0", "::/0"):
            return ["internet" if PRIVATE_RANGES <= set(block.get("except", []))
                    else "anywhere" if not block.get("except") else f"ip/{block['cidr']}-some"]
        return [f"ip/{block['cidr']}"]
    if "namespaceSelector" in peer:
        names = peer["namespaceSelector"].get("matchLabels", {})
        namespace = names.get("kubernetes.io/metadata.name", "<any namespace>")
        pod = peer.get("podSelector", {}).get("matchLabels", {})
        return [f"ns/{namespace}" + "".join(f"/{k}={v}" for k, v in sorted(pod.items()))]
    matched = [name for name, pod in pods.items()
               if selector_selects(peer.get("podSelector", {}), pod["labels"])]
    return [f"pod/{name}" for name in matched] or ["pod/<none>"]


def port_numbers(rule: dict[str, Any], pods: dict[str, dict[str, Any]],
                 owner_ports: dict[str, int]) -> list[str]:
    """``port/protocol`` of a rule; a named port is the owner pod's (ingress) port."""
    out = []
    for port in rule.get("ports", [{"port": "*"}]):
        number = port["port"]
        if isinstance(number, str) and number != "*":
            number = owner_ports.get(number, f"<no port {number}>")
        out.append(f"{number}/{port.get('protocol', 'TCP')}")
    return out


def reachability(resources: list[dict[str, Any]]) -> dict[str, dict[str, set[str]]]:
    """Workload → {"ingress": {peer:port/proto}, "egress": {...}, "isolated": {directions}}:
    what the NetworkPolicies let each pod accept and send, rule by rule."""
    pods = pod_templates(resources)
    result: dict[str, dict[str, set[str]]] = {
        name: {"ingress": set(), "egress": set(), "isolated": set()} for name in pods}
    for policy in of_kind(resources, "NetworkPolicy"):
        spec = policy["spec"]
        types = spec.get("policyTypes", ["Ingress"])
        for name, pod in pods.items():
            if not selector_selects(spec["podSelector"], pod["labels"]):
                continue
            for direction in types:
                result[name]["isolated"].add(direction.lower())
            for rule in spec.get("ingress", []) if "Ingress" in types else []:
                for peer in rule.get("from", [{"ipBlock": {"cidr": "0.0.0.0/0"}}]):
                    for who in peer_names(peer, pods):
                        for port in port_numbers(rule, pods, pod["ports"]):
                            result[name]["ingress"].add(f"{who}:{port}")
            for rule in spec.get("egress", []) if "Egress" in types else []:
                for peer in rule.get("to", [{"ipBlock": {"cidr": "0.0.0.0/0"}}]):
                    for who in peer_names(peer, pods):
                        target = pods.get(who.removeprefix("pod/"), {}).get("ports", {})
                        for port in port_numbers(rule, pods, target):
                            result[name]["egress"].add(f"{who}:{port}")
    return result


def expected_egress(need: str, external_stores: bool) -> set[str]:
    stores = "anywhere" if external_stores else None
    return {
        "nats": {"pod/nats:4222/TCP"},
        "postgres": {f"{stores or 'pod/postgres'}:5432/TCP"},
        "redis": {f"{stores or 'pod/redis'}:6379/TCP"},
        "https": {"internet:443/TCP"},
        "http": {"internet:80/TCP"},
        "nats-cluster": {"pod/nats:6222/TCP"},
    }[need]


def expected_ingress(name: str, pods: dict[str, dict[str, Any]]) -> set[str]:
    users = {need: {p for p, needs in NEEDS.items() if need in needs and p in pods}
             for need in ("nats", "postgres", "redis")}
    if name == GATEWAY:
        return {f"ns/{INGRESS_NAMESPACE}:{GATEWAY_PORT}/TCP",
                f"ns/{PROMETHEUS_NAMESPACE}:{GATEWAY_PORT}/TCP"}
    if name in WORKER_PORTS:
        return {f"ns/{PROMETHEUS_NAMESPACE}:{WORKER_PORTS[name]}/TCP"}
    if name == "nats":
        return ({f"pod/{p}:4222/TCP" for p in users["nats"]}
                | {"pod/nats:6222/TCP", f"ns/{KEDA_NAMESPACE}:8222/TCP"})
    if name in ("postgres", "redis"):
        port = 5432 if name == "postgres" else 6379
        return {f"pod/{p}:{port}/TCP" for p in users[name]}
    return set()


DNS = {"ns/kube-system/k8s-app=kube-dns:53/UDP", "ns/kube-system/k8s-app=kube-dns:53/TCP"}


def network_policy_problems(resources: list[dict[str, Any]]) -> list[str]:
    """Every pod is isolated both ways, takes traffic only from whom it serves and reaches
    only what it needs (NEEDS), in the build's own terms (in-cluster or external stores)."""
    problems = []
    pods = pod_templates(resources)
    external_stores = "postgres" not in pods
    for name, seen in reachability(resources).items():
        if name not in NEEDS:
            problems.append(f"{name}: a workload with no entry in NEEDS")
            continue
        open_ways = {"ingress", "egress"} - seen["isolated"]
        if open_ways:
            problems.append(f"{name}: not isolated for {sorted(open_ways)}")
        egress = set(DNS)
        for need in NEEDS[name]:
            egress |= expected_egress(need, external_stores)
        if seen["egress"] != egress:
            problems.append(f"{name}: egress {sorted(seen['egress'] - egress)} not needed, "
                            f"{sorted(egress - seen['egress'])} missing")
        ingress = expected_ingress(name, pods)
        if seen["ingress"] != ingress:
            problems.append(f"{name}: ingress {sorted(seen['ingress'] - ingress)} not wanted, "
                            f"{sorted(ingress - seen['ingress'])} missing")
    return problems


@pytest.mark.parametrize("build", ["dev", "prod"])
def test_network_policies(rendered: dict[str, list[dict[str, Any]]], build: str) -> None:
    problems = network_policy_problems(rendered[build])
    assert not problems, "\n".join(problems)


def test_public_address_blocks_leave_out_private_ranges(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    for policy in of_kind(rendered["base"], "NetworkPolicy"):
        for rule in policy["spec"].get("egress", []):
            for peer in rule.get("to", []):
                if block := peer.get("ipBlock"):
                    excluded = {ipaddress.ip_network(c) for c in block.get("except", [])}
                    assert {ipaddress.ip_network(c) for c in PRIVATE_RANGES} <= excluded, (
                        policy["metadata"]["name"])


# --- Tests: the migration Job ---------------------------------------------------------------


def migration_job_problems(resources: list[dict[str, Any]]) -> list[str]:
    job = find(resources, "Job", MIGRATION_JOB)
    if job is None:
        return ["no migration Job"]
    problems = []
    spec = pod_spec(job)
    (container,) = spec["containers"]
    if container.get("command") != MIGRATE_COMMAND:
        problems.append(f"runs {container.get('command')}, not {MIGRATE_COMMAND}")
    if spec.get("restartPolicy") != "Never" or "backoffLimit" not in job["spec"]:
        problems.append("a failed migration must fail the Job after bounded retries")
    image, _ = split_image(container["image"])
    if not image.startswith("paynto/"):
        problems.append(f"image {container['image']} is not a Paynto image")
    env = container_env(container)
    config_keys = set()
    for source in container.get("envFrom", []):
        if ref := source.get("configMapRef"):
            config_keys |= set(get(resources, "ConfigMap", ref["name"]).get("data", {}))
    if "DATABASE_URL" in env:
        ref = env["DATABASE_URL"].get("valueFrom", {}).get("secretKeyRef", {})
        if ref.get("name") != SECRET_NAME or ref.get("optional") is True:
            problems.append("DATABASE_URL must come from the Secret, not optionally")
    elif "DATABASE_URL" not in config_keys:
        problems.append("no DATABASE_URL: it would migrate a SQLite file in an emptyDir")
    deployments = of_kind(resources, "Deployment")
    same_image = any(split_image(c["image"]) == split_image(container["image"])
                     for d in deployments for c in pod_spec(d)["containers"])
    if not same_image:
        problems.append("the Job's image is not the one a Deployment runs (overlay retagging)")
    return problems


@pytest.mark.parametrize("build", BUILDS)
def test_migration_job(rendered: dict[str, list[dict[str, Any]]], build: str) -> None:
    problems = migration_job_problems(rendered[build])
    problems += [p for p in workload_problems(rendered[build]) if p.startswith(MIGRATION_JOB)]
    assert not problems, "\n".join(problems)


def test_migrate_module_exists_in_every_image() -> None:
    """Every service's package depends on paynto-common, which holds the module."""
    assert importlib.util.find_spec("paynto_common.migrate") is not None
    import tomllib

    for name in SERVICES:
        project = tomllib.loads((ROOT / "services" / name / "pyproject.toml").read_text())
        assert any(dep.startswith("paynto-common") for dep in project["project"]["dependencies"])


# --- Negative tests: each check fails on a broken input -------------------------------------


@pytest.mark.parametrize("expr", [
    "rate(paynto_http_request_total[5m])",  # a renamed metric
    "histogram_quantile(0.9, rate(paynto_jobs_handled_total_bucket[5m]))",  # not a histogram
    'sum(rate(paynto_jobs_handled_total{servcie="generator"}[5m]))',  # a misspelt label
    "sum by (servcie) (paynto_consumer_pending)",
])
def test_query_check_catches(expr: str) -> None:
    assert query_problems("test", expr, exported())


def test_query_check_follows_a_rename_in_the_code(dashboard: dict[str, Any]) -> None:
    families = exported()
    renamed = {("paynto_prompt_to_preview_secs" if f == "paynto_prompt_to_preview_seconds"
                else f): v for f, v in families.items()}
    problems = [p for where, expr in dashboard_queries(dashboard)
                for p in query_problems(where, expr, renamed)]
    assert any("paynto_prompt_to_preview_seconds" in p for p in problems)


def test_label_value_check_catches_a_wrong_service() -> None:
    jobs = set(SERVICES)
    assert label_value_problems("t", 'max(paynto_consumer_pending{service="generators"})', jobs)
    assert label_value_problems("t", 'up{job=~"gateway|sandbox_pool"}', jobs)
    assert label_value_problems("t", 'paynto_jobs_finished_total{kind=~"clone|copy"}', jobs)


def test_balance_check_catches() -> None:
    assert balance_problems("t", "sum(rate(paynto_jobs_handled_total[5m])")
    assert balance_problems("t", 'up{job="gateway}')


@pytest.mark.parametrize("mutation", ["no-runbook", "wrong-url", "no-section", "severity"])
def test_alert_check_catches(alerts: dict[str, Any], mutation: str) -> None:
    groups = copy.deepcopy(alerts["groups"])
    rule = groups[0]["rules"][0]
    if mutation == "no-runbook":
        del rule["annotations"]["runbook"]
    elif mutation == "wrong-url":
        rule["annotations"]["runbook_url"] = "docs/runbook.md#somewhere"
    elif mutation == "no-section":
        rule["alert"] = "PayntoSomethingNew"
        rule["annotations"]["runbook_url"] = "docs/runbook.md#payntosomethingnew"
    else:
        rule["labels"]["severity"] = "page"
    assert alert_problems(groups)


def test_dashboard_check_catches(dashboard: dict[str, Any]) -> None:
    broken = copy.deepcopy(dashboard)
    panel = next(p for p in broken["panels"] if p["type"] != "row")
    panel["datasource"] = {"type": "prometheus", "uid": "prometheus"}
    assert dashboard_problems(broken)
    broken = copy.deepcopy(dashboard)
    panels = [p for p in broken["panels"] if p["type"] != "row"]
    panels[1]["gridPos"] = dict(panels[0]["gridPos"])
    assert dashboard_problems(broken)


@pytest.mark.parametrize("mutation", ["unknown-key", "bad-healthcheck", "bad-depends"])
def test_compose_schema_catches(compose: dict[str, Any], mutation: str) -> None:
    broken = copy.deepcopy(compose)
    service = broken["services"]["generator"]
    if mutation == "unknown-key":
        service["restart_policy"] = "always"
    elif mutation == "bad-healthcheck":
        service["healthcheck"]["interval"] = 10
        service["healthcheck"]["retries"] = "six"
    else:
        service["depends_on"]["nats"]["condition"] = "healthy"
    assert schema_errors(load_schema("compose-spec.json"), broken)


@pytest.mark.parametrize("mutation", ["so-unknown-field", "so-number-metadata", "so-zero-max",
                                      "sm-no-selector", "pr-bad-duration", "pr-alert-and-record",
                                      "ta-missing-key"])
def test_crd_schemas_catch(rendered: dict[str, list[dict[str, Any]]], mutation: str) -> None:
    resources = copy.deepcopy(rendered["prod"])
    assert not crd_problems(resources)
    so = get(resources, "ScaledObject", "generator")
    monitor = of_kind(resources, "ServiceMonitor")[0]
    rule = of_kind(resources, "PrometheusRule")[0]["spec"]["groups"][0]["rules"][0]
    if mutation == "so-unknown-field":
        so["spec"]["minReplicas"] = 1
    elif mutation == "so-number-metadata":
        so["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 8
    elif mutation == "so-zero-max":
        so["spec"]["maxReplicaCount"] = 0
    elif mutation == "sm-no-selector":
        del monitor["spec"]["selector"]
    elif mutation == "pr-bad-duration":
        rule["for"] = "5 minutes"
    elif mutation == "pr-alert-and-record":
        rule["record"] = "paynto:down"
    else:
        del of_kind(resources, "TriggerAuthentication")[0]["spec"]["secretTargetRef"][0]["key"]
    assert crd_problems(resources)


@pytest.mark.parametrize("mutation", ["buffering", "timeout", "no-tls", "no-sites",
                                      "metrics-open"])
def test_ingress_check_catches(rendered: dict[str, list[dict[str, Any]]],
                               mutation: str) -> None:
    resources = copy.deepcopy(rendered["prod"])
    ingress = get(resources, "Ingress", GATEWAY)
    notes = ingress["metadata"]["annotations"]
    if mutation == "buffering":
        del notes["nginx.ingress.kubernetes.io/proxy-buffering"]
    elif mutation == "timeout":
        notes["nginx.ingress.kubernetes.io/proxy-read-timeout"] = "60"
    elif mutation == "no-tls":
        del ingress["spec"]["tls"]
    elif mutation == "no-sites":
        paths = ingress["spec"]["rules"][0]["http"]["paths"]
        paths[:] = [p for p in paths if p["path"] != "/sites/"]
    else:
        del get(resources, "Ingress", "gateway-metrics")["metadata"]["annotations"]
    assert ingress_problems(resources)


@pytest.mark.parametrize("mutation", ["worker-to-redis", "worker-ingress", "no-default-deny",
                                      "scraper-private", "new-workload"])
def test_network_policy_check_catches(rendered: dict[str, list[dict[str, Any]]],
                                      mutation: str) -> None:
    resources = copy.deepcopy(rendered["dev"])
    assert not network_policy_problems(resources)
    if mutation == "worker-to-redis":
        to_redis = get(resources, "NetworkPolicy", "to-redis")
        to_redis["spec"]["podSelector"]["matchExpressions"][0]["values"].append("generator")
    elif mutation == "worker-ingress":
        policy = get(resources, "NetworkPolicy", "generator")
        policy["spec"]["ingress"][0]["from"].append({"podSelector": {}})
    elif mutation == "no-default-deny":
        resources.remove(get(resources, "NetworkPolicy", "default-deny"))
    elif mutation == "scraper-private":
        block = get(resources, "NetworkPolicy", "scraper")["spec"]["egress"][0]["to"][0]
        block["ipBlock"]["except"].remove("10.0.0.0/8")
    else:
        extra = copy.deepcopy(get(resources, "Deployment", "generator"))
        extra["metadata"]["name"] = "thumbnailer"
        extra["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] = "thumbnailer"
        resources.append(extra)
    assert network_policy_problems(resources)


@pytest.mark.parametrize("mutation", ["command", "optional-url", "no-url", "foreign-image"])
def test_migration_job_check_catches(rendered: dict[str, list[dict[str, Any]]],
                                     mutation: str) -> None:
    build = "dev" if mutation == "no-url" else "prod"
    resources = copy.deepcopy(rendered[build])
    job = get(resources, "Job", MIGRATION_JOB)
    container = pod_spec(job)["containers"][0]
    if mutation == "command":
        container["command"] = ["paynto", "migrate"]
    elif mutation == "optional-url":
        container["env"][0]["valueFrom"]["secretKeyRef"]["optional"] = True
    elif mutation == "no-url":
        del get(resources, "ConfigMap", CONFIG_NAME)["data"]["DATABASE_URL"]
    else:
        container["image"] = "paynto/migrator:latest"
    assert migration_job_problems(resources)


def test_kubernetes_validate_knows_the_edge_kinds(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    """Ingress, NetworkPolicy and Job are built-in kinds: kubernetes-validate checks them
    strictly (test_deploy's test_builtin_resources_pass_kubernetes_validate runs it on every
    document); here, that it rejects a broken one of each."""
    prod = rendered["prod"]
    broken = [copy.deepcopy(get(prod, "Ingress", GATEWAY)),
              copy.deepcopy(get(prod, "NetworkPolicy", "gateway")),
              copy.deepcopy(get(prod, "Job", MIGRATION_JOB))]
    broken[0]["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = 7
    broken[1]["spec"]["ingress"][0]["from"][0]["namespaceSelectr"] = {}
    broken[2]["spec"]["backoffLimit"] = "three"
    for doc in broken:
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(doc, K8S_VERSIONS[-1], strict=True)


def test_load_docs_reads_every_deploy_yaml() -> None:
    """The dev overlay's extra manifests (Postgres, Redis) carry their NetworkPolicies."""
    for path in (ROOT / "deploy" / "k8s" / "overlays" / "dev").glob("*.yaml"):
        if path.name == "kustomization.yaml":
            continue
        kinds = {doc["kind"] for doc in load_docs(path)}
        assert "NetworkPolicy" in kinds, path.name
