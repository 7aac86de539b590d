"""The overlays' environments: dev is not production (its development secrets would be
refused), and prod cannot ship with placeholder addresses: the release check reports the
repository's prod.env until the operator fills it in, and passes once they have."""

import base64
import shutil
from pathlib import Path

import pytest

from schemas.access import SERVICES
from services.shared.production_rules import secret_problems
from tests.deploy.manifests import K8S, Doc, containers, env_of, named, of_kind, render
from tests.deploy.release import address_problems, settings_of

ISSUER = "https://login.polisen.se/realms/pkc"
PUBLIC = "https://larm.pkc.polisen.se"


def environments(docs: list[Doc]) -> set[str]:
    return {
        env_of(container, docs)["PKC_ENVIRONMENT"]
        for service in SERVICES
        for container in containers(named(docs, "Deployment", service))
    }


@pytest.mark.parametrize("variant", ["dev", "dev+tracing"])
def test_the_dev_overlay_is_not_production(deployable: dict[str, list[Doc]], variant: str) -> None:
    assert environments(deployable[variant]) == {"test"}


def test_the_prod_overlay_is_production(deployable: dict[str, list[Doc]]) -> None:
    assert environments(deployable["prod"]) == {"production"}


def test_every_dev_secret_would_be_refused_in_production(
    deployable: dict[str, list[Doc]],
) -> None:
    docs = deployable["dev"]
    secrets = {s["metadata"]["name"]: s["data"] for s in of_kind(docs, "Secret")}
    checked = 0
    for service in SERVICES:
        settings = settings_of(service)
        secret_variables = {
            v for name in settings.secret_fields() for v in settings.variables(name)
        }
        (container,) = containers(named(docs, "Deployment", service))
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if not ref or env["name"] not in secret_variables or ref["name"] not in secrets:
                continue  # not a secret setting, or made by an operator in the cluster
            value = base64.b64decode(secrets[ref["name"]][ref["key"]]).decode()
            assert secret_problems({env["name"]: [value]}), f"{env['name']} would pass"
            checked += 1
    assert checked >= 3  # notify's webhook and ack secrets and SMTP password at least


def test_the_shipped_prod_overlay_fails_the_release_check_until_filled_in(
    deployable: dict[str, list[Doc]],
) -> None:
    problems = address_problems(deployable["prod"])
    for service in SERVICES:
        assert f"{service}: PKC_OIDC_ISSUER names a placeholder" in "\n".join(problems)
    assert any(p.startswith("notify: PKC_NOTIFY_PUBLIC_URL names a placeholder") for p in problems)


def filled_in(where: Path, values: dict[str, str]) -> list[Doc]:
    """The prod overlay as an operator renders it after writing prod.env."""
    copy = where / "k8s"
    shutil.copytree(K8S, copy)
    lines = [f"{variable}={value}" for variable, value in values.items()]
    (copy / "overlays" / "prod" / "prod.env").write_text("\n".join(lines) + "\n")
    return render(copy / "overlays" / "prod")


def test_a_filled_in_prod_overlay_passes_the_release_check(tmp_path: Path) -> None:
    docs = filled_in(tmp_path, {"PKC_OIDC_ISSUER": ISSUER, "PKC_NOTIFY_PUBLIC_URL": PUBLIC})
    assert address_problems(docs) == []
    (notify,) = containers(named(docs, "Deployment", "notify"))
    assert env_of(notify, docs)["PKC_NOTIFY_PUBLIC_URL"] == PUBLIC  # the links' base
    assert env_of(notify, docs)["PKC_OIDC_ISSUER"] == ISSUER


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PKC_NOTIFY_PUBLIC_URL", "https://pkc-notify.example.invalid"),
        ("PKC_NOTIFY_PUBLIC_URL", "http://larm.pkc.polisen.se"),
        ("PKC_NOTIFY_PUBLIC_URL", "https://localhost:8005"),
        ("PKC_OIDC_ISSUER", "https://keycloak.example.com/realms/pkc"),
        ("PKC_OIDC_ISSUER", "http://login.polisen.se/realms/pkc"),
    ],
)
def test_one_placeholder_left_fails_the_release_check(
    tmp_path: Path, variable: str, value: str
) -> None:
    values = {"PKC_OIDC_ISSUER": ISSUER, "PKC_NOTIFY_PUBLIC_URL": PUBLIC} | {variable: value}
    problems = address_problems(filled_in(tmp_path, values))
    assert problems
    assert all(variable in problem for problem in problems)
