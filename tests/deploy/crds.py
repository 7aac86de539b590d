"""Custom resources checked against the schemas of their CustomResourceDefinitions."""

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.deploy.manifests import STRIMZI_CRDS, Doc

# libyaml's loader when present: the Kafka CRD alone is a third of a megabyte.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def strimzi_schemas(directory: Path = STRIMZI_CRDS) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the openAPIV3Schema of every served version in the CRD files."""
    schemas = {}
    for path in sorted(directory.glob("*.yaml")):
        for crd in yaml.load_all(path.read_text("utf-8"), Loader=_LOADER):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served", True):
                    schema = version["schema"]["openAPIV3Schema"]
                    schemas[(f"{group}/{version['name']}", kind)] = closed(schema)
    return schemas


def closed(schema: Any) -> Any:
    """The schema with unknown fields refused, as `kubectl apply` (strict field validation)
    refuses them; the API server would otherwise drop a misspelt field without a word."""
    schema = copy.deepcopy(schema)
    _close(schema)
    return schema


def _close(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _close(item)
        return
    if not isinstance(node, dict):
        return
    open_ = node.get("x-kubernetes-preserve-unknown-fields") or "additionalProperties" in node
    if "properties" in node and not open_:
        node["additionalProperties"] = False
    for value in node.values():
        _close(value)


def has_crd(doc: Doc) -> bool:
    return (doc["apiVersion"], doc["kind"]) in strimzi_schemas()


def crd_errors(doc: Doc) -> list[str]:
    schema = strimzi_schemas().get((doc["apiVersion"], doc["kind"]))
    if schema is None:
        return [f"no CRD schema for {doc['apiVersion']} {doc['kind']}"]
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{doc['kind']}/{doc['metadata']['name']} at {'/'.join(map(str, e.absolute_path))}: "
        f"{e.message}"
        for e in validator.iter_errors(doc)
    ]
