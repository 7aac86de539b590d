"""Keycloak's distribution from Maven Central, unpacked and built once into a cache outside git."""

import hashlib
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

from pkc import daemon
from pkc.paths import built_once

POM = Path(__file__).with_name("pom.xml")
# Build-time options, fixed in the cache by `kc.sh build` so every start can be `--optimized`
# (the build takes ~40 s; skipping it on each start is most of a warm start's saving).
BUILD_OPTIONS = ("--db=dev-file",)


class OidcSetupError(daemon.SetupError):
    """The local OIDC provider cannot be set up; the message says what to do."""


def require_tool(name: str, purpose: str) -> str:
    instead = "point PKC_OIDC_ISSUER at an existing OIDC provider"
    return daemon.require_tool(name, purpose, instead, OidcSetupError)


def keycloak_version() -> str:
    found = re.search(r"<keycloak.version>([^<]+)</keycloak.version>", POM.read_text())
    if found is None:
        raise OidcSetupError(f"{POM} names no <keycloak.version>")
    return found.group(1)


def ensure_keycloak(cache_dir: Path) -> Path:
    """The Keycloak home (bin/kc.sh inside), fetched, unpacked and built once per pom version.

    A `.complete` marker records success; a half-done attempt is thrown away and redone."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    version = keycloak_version()
    home = cache_dir / f"keycloak-{version}-{digest}"
    return built_once(home, lambda target: _install(target, version))


def _install(target: Path, version: str) -> None:
    _require_java_17()  # only when not cached: a cached Keycloak was checked when it was built
    archive = _download(target / "download")
    _unpack(archive, target, f"keycloak-{version}/")
    archive.unlink()
    shutil.rmtree(target / "download")
    _build(target)


def _require_java_17() -> None:
    java = require_tool("java", "run Keycloak")
    shown = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)  # noqa: S603
    found = re.search(r'version "(\d+)', shown.stderr + shown.stdout)
    if found is None or int(found.group(1)) < 17:
        seen = found.group(1) if found else "unknown"
        raise OidcSetupError(
            f"Keycloak needs Java 17 or newer; `java -version` says {seen} "
            "(Debian: `apt-get install openjdk-17-jre-headless`)."
        )


def _download(target: Path) -> Path:
    mvn = require_tool("mvn", "fetch Keycloak's distribution from Maven Central")
    command = [mvn, "-q", "-B", "-f", str(POM), "dependency:copy", f"-DoutputDirectory={target}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    archives = sorted(target.glob("keycloak-quarkus-dist-*.zip"))
    if result.returncode != 0 or not archives:
        tail = (result.stdout + result.stderr)[-2000:]
        raise OidcSetupError(f"Maven could not fetch Keycloak's distribution:\n{tail}")
    return archives[0]


def _unpack(archive: Path, home: Path, top: str) -> None:
    """Unpacks the zip's top folder into `home`, keeping the scripts' execute bits (zipfile
    alone drops them)."""
    home.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as bundle:
        for entry in bundle.infolist():
            if not entry.filename.startswith(top) or entry.filename == top:
                continue
            relative = entry.filename[len(top) :]
            destination = (home / relative).resolve()
            if not destination.is_relative_to(home.resolve()):
                raise OidcSetupError(f"unsafe path in the Keycloak archive: {entry.filename}")
            if entry.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(entry) as source, destination.open("wb") as sink:
                shutil.copyfileobj(source, sink)
            mode = (entry.external_attr >> 16) & 0o777
            if mode:
                destination.chmod(mode)


def _build(home: Path) -> None:
    command = [str(home / "bin" / "kc.sh"), "build", *BUILD_OPTIONS]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-2000:]
        raise OidcSetupError(f"`kc.sh build` failed:\n{tail}")
