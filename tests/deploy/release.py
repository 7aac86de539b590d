"""The release check of a production overlay: the addresses every service is held to in
production (the OIDC issuer its callers' tokens come from, the public base of links it sends),
as each container would see them, by the services' own rule
(services/shared/production_rules.py). Run before a deployment:

    .venv/bin/python -m tests.deploy.release deploy/k8s/overlays/prod

The repository's prod overlay fails it until the operator fills in its prod.env. Secrets are
not in the manifests; the services refuse guessable ones when they start.
"""

import importlib
import sys
from pathlib import Path

from schemas.access import SERVICES
from services.shared.production_rules import public_url_problem
from services.shared.settings import ServiceSettings
from tests.deploy.manifests import Doc, containers, env_of, named, render


def settings_of(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"services.{service}.settings")
    (found,) = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value.__module__ == module.__name__
    ]
    return found


def address_problems(docs: list[Doc]) -> list[str]:
    """What each production service would refuse in the rendered addresses, by service."""
    problems: list[str] = []
    for service in SERVICES:
        (container,) = containers(named(docs, "Deployment", service))
        env = env_of(container, docs)
        if env.get("PKC_ENVIRONMENT") != "production":
            continue
        settings = settings_of(service)
        for name in ("oidc_issuer", *settings.public_addresses()):
            variable = settings.variable(name)
            if problem := public_url_problem(variable, env.get(variable)):
                problems.append(f"{service}: {problem}")
    return problems


def main(overlays: list[str]) -> int:
    problems = [f"{o}: {p}" for o in overlays for p in address_problems(render(Path(o)))]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["deploy/k8s/overlays/prod"]))
