"""Packaging: which layers each function gets (from the route manifest), the layer specs, the size checks."""

import tomllib
import zipfile
from pathlib import Path

import pytest

from einvoice.routes import FUNCTIONS
from infra import layers as spec
from infra import package

ROOT = Path(__file__).resolve().parents[2]


def _resources(template, kind):
    return {k: v for k, v in template["Resources"].items() if v.get("Type") == kind}


def _pascal(name):
    return "".join(p.capitalize() for p in name.split("_"))


def test_each_function_gets_base_plus_the_layers_of_its_needs(synthesized):
    template = synthesized["template"]
    layers = _resources(template, "AWS::Lambda::LayerVersion")
    assert len(layers) == len(spec.LAYERS)
    by_layer = {}
    for name in spec.BY_NAME:
        matches = [k for k in layers if k.startswith(f"{_pascal(name)}Layer")]
        assert len(matches) == 1, name
        by_layer[name] = matches[0]
    functions = _resources(template, "AWS::Lambda::Function")
    for fn in FUNCTIONS:
        props = next(v["Properties"] for k, v in functions.items() if k.startswith(f"{_pascal(fn.name)}Function"))
        attached = [ref["Ref"] for ref in props["Layers"]]
        # CloudFormation gets them sorted by logical id; layers never overlap, so only the set matters
        assert sorted(attached) == sorted(by_layer[name] for name in spec.layers_for(fn)), fn.name
        assert len(attached) <= spec.MAX_LAYERS
        assert props["Runtime"] == spec.LAMBDA_RUNTIME


def test_heavy_groups_attach_only_where_declared():
    """The manifest's own declarations (the guard in local.packaging checks them while tests run handlers)."""
    needs = {fn.name: set(fn.needs) for fn in FUNCTIONS}
    assert needs["validations_create"] == {"validation"}
    assert needs["enrolment_issue_certificate"] == {"render", "seal"}
    assert needs["invoices_document"] == {"render"}
    assert not needs["companies_create"] and not needs["health"]
    for fn in FUNCTIONS:
        assert set(fn.needs) <= set(spec.GROUPS), fn.name


def test_every_distribution_is_in_exactly_one_layer_and_the_sdk_in_none():
    dists = spec.distributions()
    seen: dict[str, str] = {}
    for layer, names in dists.items():
        for name in names:
            assert name not in seen, f"{name} in both {seen[name]} and {layer}"
            seen[name] = layer
    assert not set(seen) & spec.RUNTIME_PROVIDED, "the runtime's boto3/botocore are not re-shipped"
    assert "saxonche" in dists["validation"] and "typst" in dists["render"] and "pyhanko" in dists["seal"]
    assert "moto" not in seen and "werkzeug" not in seen and "aws-cdk-lib" not in seen


def test_every_runtime_dependency_belongs_to_a_layer_or_is_declared_not_shipped():
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {spec.normalize(Requirement(r).name) for layer in spec.LAYERS for r in layer.requirements}
    shipped = set().union(*(set(d) for d in spec.distributions().values()))
    for text in project["dependencies"]:
        name = spec.normalize(Requirement(text).name)
        assert name in declared or name in shipped or name in spec.NOT_SHIPPED, (
            f"{name} is a runtime dependency in no layer: name it in infra/layers.py (or in NOT_SHIPPED)")


def test_layers_for_rejects_an_unknown_group():
    from einvoice.routing import Function

    with pytest.raises(ValueError, match="unknown needs"):
        spec.layers_for(Function("x", needs=("gpu",)))
    assert spec.layers_for(Function("y", needs=("seal", "validation"))) == ("base", "validation", "seal")


def test_zips_are_deterministic_and_sizes_read_back(tmp_path):
    src = tmp_path / "src"
    (src / "python" / "pkg").mkdir(parents=True)
    (src / "python" / "pkg" / "__init__.py").write_text("x = 1\n" * 100)
    (src / "fonts").mkdir()
    (src / "fonts" / "a.ttf").write_bytes(b"\0" * 1000)
    package.write_zip(src, tmp_path / "a.zip")
    package.write_zip(src, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    unzipped, zipped = package.zip_sizes(tmp_path / "a.zip")
    assert unzipped == 600 + 1000 and zipped == (tmp_path / "a.zip").stat().st_size
    assert zipfile.ZipFile(tmp_path / "a.zip").namelist() == ["fonts/a.ttf", "python/pkg/__init__.py"]


def test_limits_fail_a_function_over_250_mb_or_5_layers():
    assert package.problems(spec.MAX_UNZIPPED_BYTES, 5) == []
    assert "unzipped" in package.problems(spec.MAX_UNZIPPED_BYTES + 1, 2)[0]
    assert "layers" in package.problems(1000, 6)[0]


def test_stack_refuses_a_missing_or_stale_package(tmp_path):
    from infra.stack import PackageError, read_package

    with pytest.raises(PackageError, match="make package"):
        read_package(tmp_path)
    (tmp_path / "manifest.json").write_text('{"runtime": "python3.11", "functions": {}, "layers": {}}')
    with pytest.raises(PackageError, match="python3.11"):
        read_package(tmp_path)
    (tmp_path / "manifest.json").write_text(f'{{"runtime": "{spec.LAMBDA_RUNTIME}", "functions": {{}}, "layers": {{}}}}')
    with pytest.raises(PackageError, match="does not match"):
        read_package(tmp_path)
