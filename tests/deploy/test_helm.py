"""deploy/helm/otelhouse, linted and rendered by Helm's own Go code (helm-python-sdk, no helm binary)."""

from __future__ import annotations

from typing import Any

import helm_python as helm
import pytest
from deploy_files import CHART, SETTING_NAMES, minimal_values, render_chart

Manifest = dict[str, Any]


def by_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {item["metadata"]["name"]: item for item in manifests if item["kind"] == kind}


def container(deployment: Manifest) -> Manifest:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    found: Manifest = containers[0]
    return found


def config(manifests: list[Manifest]) -> dict[str, str]:
    data: dict[str, str] = by_kind(manifests, "ConfigMap")["obs-otelhouse"]["data"]
    return data


def test_lint_finds_no_error_or_warning() -> None:
    result = helm.lint(str(CHART))
    assert result["errors"] == []
    # Severity 1 is information ("icon is recommended"); 2 and above are warnings and errors.
    assert [message for message in result["messages"] if message["severity"] >= 2] == []


def test_split_mode_runs_ingest_gateways_and_the_app_separately() -> None:
    manifests = render_chart(minimal_values())
    assert sorted(item["kind"] for item in manifests) == ["ConfigMap", "Deployment", "Deployment", "Service", "Service"]
    deployments = by_kind(manifests, "Deployment")
    ingest, app = deployments["obs-otelhouse-ingest"], deployments["obs-otelhouse-app"]
    assert ingest["spec"]["replicas"] == 2 and app["spec"]["replicas"] == 1
    assert container(ingest)["args"] == ["serve", "--role", "ingest"]
    assert container(app)["args"] == ["serve", "--role", "app"]
    ports = {name: {p["name"]: p["containerPort"] for p in container(d)["ports"]} for name, d in deployments.items()}
    assert ports["obs-otelhouse-ingest"] == {"http": 8080, "otlp-grpc": 4317, "otlp-http": 4318}
    assert ports["obs-otelhouse-app"] == {"http": 8080}
    services = by_kind(manifests, "Service")
    otlp, http = services["obs-otelhouse-otlp"], services["obs-otelhouse-http"]
    assert [(p["port"], p["targetPort"]) for p in otlp["spec"]["ports"]] == [(4317, "otlp-grpc"), (4318, "otlp-http")]
    assert [(p["port"], p["targetPort"]) for p in http["spec"]["ports"]] == [(8080, "http")]
    assert otlp["spec"]["selector"]["app.kubernetes.io/component"] == "ingest"
    assert http["spec"]["selector"]["app.kubernetes.io/component"] == "app"
    for deployment in deployments.values():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_all_mode_runs_one_deployment_behind_both_services() -> None:
    manifests = render_chart(minimal_values(mode="all"))
    deployments = by_kind(manifests, "Deployment")
    assert list(deployments) == ["obs-otelhouse-all"]
    assert container(deployments["obs-otelhouse-all"])["args"] == ["serve", "--role", "all"]
    assert {p["containerPort"] for p in container(deployments["obs-otelhouse-all"])["ports"]} == {4317, 4318, 8080}
    for service in by_kind(manifests, "Service").values():
        assert service["spec"]["selector"]["app.kubernetes.io/component"] == "all"


def test_pods_run_non_root_on_a_read_only_root_with_probes() -> None:
    for deployment in by_kind(render_chart(minimal_values()), "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        assert pod["automountServiceAccountToken"] is False
        main = container(deployment)
        assert main["securityContext"]["readOnlyRootFilesystem"] is True
        assert main["securityContext"]["allowPrivilegeEscalation"] is False
        assert main["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert main["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        assert main["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
        assert main["resources"]["limits"]["memory"]
        mounts = {mount["mountPath"] for mount in main["volumeMounts"]}
        assert {"/data", "/tmp"} <= mounts


def test_secrets_are_mounted_files_named_by_the_file_settings() -> None:
    manifests = render_chart(minimal_values())
    settings = config(manifests)
    assert set(settings) <= SETTING_NAMES, "the ConfigMap sets an OTELHOUSE_* name that is no setting"
    assert settings["OTELHOUSE_ENV"] == "production"
    assert settings["OTELHOUSE_CLICKHOUSE_URL"] == "https://abc123.eu-west-1.aws.clickhouse.cloud:8443"
    assert not any(("PASSWORD" in name or "SECRET" in name) and not name.endswith("_FILE") for name in settings)
    assert "OTELHOUSE_DATABASE_URL" not in settings
    deployment = by_kind(manifests, "Deployment")["obs-otelhouse-app"]
    pod = deployment["spec"]["template"]["spec"]
    secrets = {
        volume["name"]: (volume["secret"]["secretName"], {item["path"] for item in volume["secret"]["items"]})
        for volume in pod["volumes"]
        if "secret" in volume
    }
    mounts = {mount["name"]: mount["mountPath"] for mount in container(deployment)["volumeMounts"]}
    files = {f"{mounts[name]}/{path}" for name, (_, paths) in secrets.items() for path in paths}
    for name, value in settings.items():
        if name.endswith("_FILE"):
            assert value in files, f"{name}={value} is not a mounted secret file"
    assert {secret_name for secret_name, _ in secrets.values()} == {
        "otelhouse-session",
        "otelhouse-clickhouse",
        "otelhouse-database",
    }
    assert container(deployment)["envFrom"] == [{"configMapRef": {"name": "obs-otelhouse"}}]


def test_tls_and_a_private_clickhouse_ca_come_from_secrets() -> None:
    values = minimal_values(
        tls={"existingSecret": "otel-tls", "clientCaSecret": "otel-clients"},
        clickhouse={"caSecret": "ch-ca", "cluster": "main"},
    )
    manifests = render_chart(values)
    settings = config(manifests)
    assert settings["OTELHOUSE_TLS_CERT_FILE"] == "/run/secrets/tls/tls.crt"
    assert settings["OTELHOUSE_TLS_KEY_FILE"] == "/run/secrets/tls/tls.key"
    assert settings["OTELHOUSE_OTLP_CLIENT_CA_FILE"] == "/run/secrets/otlp-client-ca/otlp_client_ca.crt"
    assert settings["OTELHOUSE_CLICKHOUSE_CA_FILE"] == "/run/secrets/clickhouse-ca/clickhouse_ca.crt"
    assert settings["OTELHOUSE_CLICKHOUSE_CLUSTER"] == "main"
    pod = by_kind(manifests, "Deployment")["obs-otelhouse-ingest"]["spec"]["template"]["spec"]
    names = {volume["secret"]["secretName"] for volume in pod["volumes"] if "secret" in volume}
    assert {"otel-tls", "otel-clients", "ch-ca"} <= names


def test_extra_settings_go_into_the_configmap_and_roll_the_pods() -> None:
    plain = render_chart(minimal_values())
    changed = render_chart(minimal_values(settings={"OTELHOUSE_TTL_LOGS": "14d", "OTELHOUSE_BATCH_MAX_ROWS": 20000}))
    assert config(changed)["OTELHOUSE_TTL_LOGS"] == "14d"
    assert config(changed)["OTELHOUSE_BATCH_MAX_ROWS"] == "20000"

    def checksum(manifests: list[Manifest]) -> str:
        deployment = by_kind(manifests, "Deployment")["obs-otelhouse-app"]
        return str(deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    assert checksum(plain) != checksum(changed)


def test_ingress_routes_the_web_port_to_the_http_service() -> None:
    manifests = render_chart(
        minimal_values(ingress={"enabled": True, "className": "nginx", "host": "otel.example.com", "tlsSecret": "web"})
    )
    ingress = by_kind(manifests, "Ingress")["obs-otelhouse"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["otel.example.com"], "secretName": "web"}]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "obs-otelhouse-http", "port": {"name": "http"}}


def test_the_optional_setup_job_runs_clickhouse_setup_as_admin_before_install() -> None:
    assert by_kind(render_chart(minimal_values()), "Job") == {}
    manifests = render_chart(minimal_values(clickhouse={"setup": {"enabled": True, "adminSecret": "ch-admin"}}))
    job = by_kind(manifests, "Job")["obs-otelhouse-clickhouse-setup"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    pod = job["spec"]["template"]["spec"]
    main = pod["containers"][0]
    assert main["args"][:3] == ["clickhouse", "setup", "--apply"]
    assert "--ingest-user=otelhouse_ingest" in main["args"] and "--query-user=otelhouse_query" in main["args"]
    env = {item["name"]: item["value"] for item in main["env"]}
    assert set(env) <= SETTING_NAMES
    assert env["OTELHOUSE_CLICKHOUSE_ADMIN_USER"] == "default"
    assert env["OTELHOUSE_CLICKHOUSE_ADMIN_PASSWORD_FILE"] == "/run/secrets/clickhouse-admin/password"
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert {volume["secret"]["secretName"] for volume in pod["volumes"] if "secret" in volume} == {
        "ch-admin",
        "otelhouse-clickhouse",
    }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"publicUrl": "https://otel.example.com"}, "clickhouse.url is required"),
        ({"clickhouse": {"url": "https://ch:8443"}}, "publicUrl is required"),
        ({**minimal_values(), "mode": "both"}, 'mode must be split or all, not "both"'),
        ({**minimal_values(), "settings": {"TTL_LOGS": "1d"}}, "the keys of settings are OTELHOUSE_* variables"),
    ],
)
def test_missing_or_wrong_values_stop_the_render_with_a_clear_message(values: dict[str, Any], message: str) -> None:
    with pytest.raises(helm.HelmError, match=message.replace("*", r"\*")):
        render_chart(values)
