"""The deployment files (deploy/) are valid and agree with the gateway, offline.

Valid: each Kubernetes manifest against Kubernetes' own JSON schemas (strict: no unknown
field), for the oldest and the newest version `kubernetes-validate` ships; compose.yaml
against the compose specification's JSON schema (the copy `check-jsonschema` ships).

In agreement with the gateway: each container's command is run through the gateway's own
CLI with the environment the container would have (the image's ENV, then compose's
`environment`, or Kubernetes' ConfigMap and Secret references): the settings are accepted
and the gateway starts (it refuses to start beyond loopback with vendor tokens and no API
keys); every probe and health check asks a route the started app answers; ports, the
user and the image's tag are the Dockerfile's and pyproject's; the compose gateways call
the emulators exactly where the sandbox serves them, and every host named is a service.
Nothing is served and nothing leaves the process: the app is called in-process."""

from __future__ import annotations

import copy
import importlib.resources
import json
import os
import re
import tomllib
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import all_versions

from gateway import cli
from gateway.sandbox import sandboxed
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
# Stands in for each value the deployer puts in the Secret.
SECRET = "placeholder-secret"
NAMESPACES = ("GATEWAY_", "KANTATA_", "KITCHEN_")


# --- the Dockerfile's final stage ------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    env: dict[str, str]
    user: str
    uid: int
    port: int
    command: list[str]
    healthcheck: str


def _image() -> Image:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    final = text[text.rindex("FROM ") :]  # the last stage
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV (.+)$", final, re.M):
        env.update(pair.split("=", 1) for pair in line.split())
    [user] = re.findall(r"^USER (\S+)$", final, re.M)
    [(uid, created)] = re.findall(r"useradd .*--uid (\d+) (\S+)$", final, re.M)
    assert created == user
    [expose] = re.findall(r"^EXPOSE (\d+)$", final, re.M)
    [command] = re.findall(r"^CMD (\[.*\])$", final, re.M)
    [healthcheck] = re.findall(r"^HEALTHCHECK .* CMD (.+)$", final, re.M)
    return Image(env, user, int(uid), int(expose), json.loads(command), healthcheck)


IMAGE = _image()


def _flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def _probe(command: str) -> tuple[int, str]:
    """The loopback port and path a health check's command asks for."""
    found = re.search(r"http://127\.0\.0\.1:(\d+)(/[^'\"\s]*)", command)
    assert found, command
    return int(found.group(1)), found.group(2)


# --- starting a container's command through the gateway's CLI --------------------------------


@dataclass
class Started:
    app: Any
    host: str
    port: int
    workers: int


def start(monkeypatch: pytest.MonkeyPatch, command: list[str], env: dict[str, str]) -> Started:
    """Run `command` (`invoice-gateway …`) as the gateway's CLI would in the container, with
    exactly `env` for the gateway's settings, up to the point of serving: the app it would
    serve, and where. Fails when the CLI refuses to start."""
    assert command[0] == "invoice-gateway"
    for name in list(os.environ):
        if name.startswith(NAMESPACES):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # `serve` with several workers tells them their count in the environment: restored after.
    monkeypatch.setenv(cli.WORKERS_ENV, "")
    monkeypatch.delenv(cli.WORKERS_ENV)
    started: list[Started] = []

    def run(
        parser: object, app: object, host: str, port: int, settings: object, **options: Any
    ) -> int:
        if options.get("factory"):  # several workers: the app each of them builds
            assert app == "gateway.cli:worker_app"
            app = cli.worker_app()
        started.append(Started(app, host, port, options.get("workers", 1)))
        return 0

    monkeypatch.setattr(cli, "_run", run)
    # The test process keeps its own logging.
    monkeypatch.setattr("gateway.ops.logs.configure_logging", lambda *_: None)
    assert cli.main(command[1:]) == 0, f"{command} refused to start"
    [serving] = started
    return serving


async def answers(app: Any, path: str) -> int:
    """The status the app answers a GET of `path` with, called in-process (no lifespan)."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return (await client.get(path)).status_code


# --- compose ---------------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _compose_schema() -> dict[str, Any]:
    vendored = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads((vendored / "compose-spec.json").read_text())
    return schema


def _compose_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        _compose_schema(), format_checker=jsonschema.FormatChecker()
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_is_valid_against_the_compose_specification() -> None:
    assert _compose_errors(_compose()) == []


def test_the_compose_check_can_fail() -> None:
    misspelt = copy.deepcopy(_compose())
    misspelt["services"]["redis"]["helthcheck"] = misspelt["services"]["redis"].pop("healthcheck")
    assert _compose_errors(misspelt) != []


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _built_from_the_dockerfile(service: dict[str, Any]) -> bool:
    build = service.get("build")
    return isinstance(build, dict) and (COMPOSE.parent / build["context"]).resolve() == ROOT


def _gateway_services() -> dict[str, dict[str, Any]]:
    """The services that run the image's own command: the gateways."""
    return {
        name: service
        for name, service in _services().items()
        if _built_from_the_dockerfile(service) and "command" not in service
    }


def test_compose_runs_two_gateways_on_redis_and_the_emulators() -> None:
    assert len(_gateway_services()) == 2
    assert _services()["redis"]["image"].startswith("redis:")
    sandbox = _services()["sandbox"]
    assert _built_from_the_dockerfile(sandbox)
    assert sandbox["command"][:2] == ["invoice-gateway", "sandbox"]


def _compose_env(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    assert isinstance(environment, dict), "environment as a mapping"
    return {**IMAGE.env, **{name: str(value) for name, value in environment.items()}}


@pytest.mark.parametrize("name", sorted(_gateway_services()))
async def test_each_compose_gateway_starts_with_its_environment(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _gateway_services()[name]
    # Each variable compose sets is in the gateway's names, so the reader checks its name.
    assert all(variable.startswith(NAMESPACES) for variable in service["environment"])
    env = _compose_env(service)
    serving = start(monkeypatch, IMAGE.command, env)
    assert (serving.host, serving.port) == ("0.0.0.0", IMAGE.port)
    # Published ports reach the port the gateway listens on.
    for published in service["ports"]:
        assert int(str(published).rsplit(":", 1)[1]) == IMAGE.port
    # Its health check asks a route of the app it started, on that port.
    port, path = _probe(" ".join(service["healthcheck"]["test"]))
    assert port == IMAGE.port
    assert await answers(serving.app, path) in (200, 503)  # 503: not ready before its checks


def test_compose_gateways_call_the_emulators_where_the_sandbox_serves_them() -> None:
    sandbox = _services()["sandbox"]
    origin = f"http://sandbox:{_flag(sandbox['command'], '--port')}"
    expected = sandboxed(Settings(), origin).vendors
    for service in _gateway_services().values():
        settings = Settings.from_env(_compose_env(service))
        assert not settings.sandbox_enabled  # the emulators are a vendor on the network
        assert settings.vendors == expected


def test_every_host_compose_names_is_a_service() -> None:
    for service in _gateway_services().values():
        settings = Settings.from_env(_compose_env(service))
        assert settings.redis_url
        redis = urllib.parse.urlsplit(settings.redis_url)
        assert redis.hostname in _services()
        assert "redis-server" in _services()[redis.hostname]["command"]
        assert (redis.port or 6379) == 6379
        for config in settings.vendors.values():
            assert config.base_url
            assert urllib.parse.urlsplit(config.base_url).hostname in _services()
        depends = service["depends_on"]
        assert {redis.hostname, "sandbox"} <= set(depends)
        assert all(d["condition"] == "service_healthy" for d in depends.values())


async def test_the_compose_sandbox_starts_and_its_health_check_is_a_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox = _services()["sandbox"]
    serving = start(monkeypatch, sandbox["command"], _compose_env(sandbox))
    assert serving.port == int(_flag(sandbox["command"], "--port"))
    port, path = _probe(" ".join(sandbox["healthcheck"]["test"]))
    assert port == serving.port
    assert await answers(serving.app, path) == 200


def test_a_compose_gateway_without_api_keys_would_not_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The check above can fail: with vendor tokens, beyond loopback and no API keys, the
    # gateway refuses to start (exit 2).
    env = _compose_env(next(iter(_gateway_services().values())))
    del env["GATEWAY_API_KEYS"]
    with pytest.raises(AssertionError, match="refused to start"):
        start(monkeypatch, IMAGE.command, env)


# --- Kubernetes ------------------------------------------------------------------------------


def _manifests() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in MANIFESTS:
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                yield path.name, document


def _kind(kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        doc
        for _, doc in _manifests()
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]


VERSIONS = sorted({all_versions()[0], all_versions()[-1]})
DOCUMENTS = [
    pytest.param(doc, version, id=f"{file}:{doc['kind']}/{doc['metadata']['name']}@{version}")
    for file, doc in _manifests()
    for version in VERSIONS
]


def test_the_manifests_hold_what_a_gateway_needs() -> None:
    kinds = {(doc["kind"], doc["metadata"]["name"]) for _, doc in _manifests()}
    assert {
        ("ConfigMap", "invoice-gateway"),
        ("Deployment", "invoice-gateway"),
        ("Service", "invoice-gateway"),
        ("PodDisruptionBudget", "invoice-gateway"),
        ("HorizontalPodAutoscaler", "invoice-gateway"),
        ("Deployment", "redis"),
        ("Service", "redis"),
    } <= kinds


@pytest.mark.parametrize(("document", "version"), DOCUMENTS)
def test_each_manifest_is_valid_against_kubernetes_schemas(
    document: dict[str, Any], version: str
) -> None:
    kubernetes_validate.validate(document, version, strict=True)


def test_the_kubernetes_check_can_fail() -> None:
    [deployment] = _kind("Deployment", "invoice-gateway")
    misspelt = copy.deepcopy(deployment)
    container = misspelt["spec"]["template"]["spec"]["containers"][0]
    container["livenessProbes"] = container.pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, VERSIONS[-1], strict=True)


def _gateway_pod() -> tuple[dict[str, Any], dict[str, Any]]:
    [deployment] = _kind("Deployment", "invoice-gateway")
    pod = deployment["spec"]["template"]
    [container] = pod["spec"]["containers"]
    return pod, container


def _kubernetes_env(container: dict[str, Any]) -> tuple[dict[str, str], set[str]]:
    """What the manifests set in the gateway container's environment, each Secret value a
    placeholder; and the keys it reads from the Secret."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        [config_map] = _kind("ConfigMap", source["configMapRef"]["name"])
        env.update(config_map["data"])
    secret_keys = set()
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            reference = variable["valueFrom"]["secretKeyRef"]
            assert reference["name"] == "invoice-gateway"
            secret_keys.add(reference["key"])
            env[variable["name"]] = SECRET
    return env, secret_keys


async def test_the_kubernetes_gateway_starts_with_its_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, container = _gateway_pod()
    own, _ = _kubernetes_env(container)
    # Each variable the manifests set is in the gateway's names, so the reader checks its name.
    assert all(variable.startswith(NAMESPACES) for variable in own)
    env = {**IMAGE.env, **own}
    command = container.get("command", IMAGE.command)
    serving = start(monkeypatch, command, env)
    # The image's command, one process per pod whatever the node's cores.
    assert command == [*IMAGE.command, "--workers", "1"]
    assert serving.workers == 1
    settings = Settings.from_env(env)
    assert not settings.sandbox_enabled
    assert settings.api_keys == (SECRET,)
    # It listens where the container says, and both probes ask routes of the app.
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert list(ports.values()) == [IMAGE.port] == [serving.port]
    for probe, path, statuses in (
        ("livenessProbe", "/healthz", (200,)),
        ("readinessProbe", "/readyz", (200, 503)),  # 503: not ready before its checks
    ):
        request = container[probe]["httpGet"]
        assert request["path"] == path
        assert ports.get(request["port"], request["port"]) == IMAGE.port
        assert await answers(serving.app, path) in statuses


def test_the_kubernetes_gateway_without_api_keys_would_not_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, container = _gateway_pod()
    own, _ = _kubernetes_env(container)
    env = {**IMAGE.env, **own}
    del env["GATEWAY_API_KEYS"]
    with pytest.raises(AssertionError, match="refused to start"):
        start(monkeypatch, container["command"], env)


@pytest.mark.parametrize(
    "document", [DEPLOY / "kubernetes" / "configmap.yaml", ROOT / "docs" / "deployment.md"]
)
def test_the_secret_keys_are_the_ones_the_docs_create(document: Path) -> None:
    _, container = _gateway_pod()
    _, keys = _kubernetes_env(container)
    assert keys == {"GATEWAY_API_KEYS", "KANTATA_TOKEN", "KITCHEN_TOKEN"}
    text = document.read_text().replace("\\\n#", "").replace("\\\n", "")
    [create] = re.findall(r"kubectl create secret generic invoice-gateway[^`\n]*", text)
    assert set(re.findall(r"--from-literal=(\w+)=", create)) == keys


def test_the_pod_runs_as_the_image_s_user() -> None:
    pod, container = _gateway_pod()
    context = {**pod["spec"].get("securityContext", {}), **container.get("securityContext", {})}
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == IMAGE.uid
    assert context["allowPrivilegeEscalation"] is False


def test_the_image_is_this_version() -> None:
    _, container = _gateway_pod()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert container["image"] == f"invoice-gateway:{version}"


def test_the_service_budget_and_autoscaler_select_the_gateway() -> None:
    pod, container = _gateway_pod()
    labels = pod["metadata"]["labels"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    [deployment] = _kind("Deployment", "invoice-gateway")
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    [service] = _kind("Service", "invoice-gateway")
    assert service["spec"]["selector"].items() <= labels.items()
    for port in service["spec"]["ports"]:
        assert ports.get(port["targetPort"], port["targetPort"]) == IMAGE.port
    [budget] = _kind("PodDisruptionBudget", "invoice-gateway")
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    [autoscaler] = _kind("HorizontalPodAutoscaler", "invoice-gateway")
    target = autoscaler["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "invoice-gateway")
    # Two replicas at least, so the budget's one can always be kept through a drain.
    assert autoscaler["spec"]["minReplicas"] > budget["spec"]["minAvailable"]


def test_the_redis_url_names_the_redis_service() -> None:
    _, container = _gateway_pod()
    env, _ = _kubernetes_env(container)
    settings = Settings.from_env(env)
    assert settings.redis_url
    url = urllib.parse.urlsplit(settings.redis_url)
    [service] = _kind("Service", url.hostname)
    assert (url.port or 6379) in {port["port"] for port in service["spec"]["ports"]}
    [redis] = _kind("Deployment", url.hostname)
    pod_labels = redis["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_the_image_healthcheck_asks_the_gateway_s_liveness_route() -> None:
    port, path = _probe(IMAGE.healthcheck)
    assert (port, path) == (IMAGE.port, "/healthz")
    assert _flag(IMAGE.command, "--port") == str(IMAGE.port)
