"""The local packaging boundary: a handler importing a layer its function does not declare fails as on AWS."""

import pytest

from local import dispatch, packaging


def _import_as(importer: str, module: str):
    # an import statement executed by a module of that name (what the guard looks at)
    exec(f"import {module}", {"__name__": importer})


def test_an_undeclared_group_is_refused_inside_the_function_only():
    packaging.install()
    with packaging.running("companies_create"):
        with pytest.raises(packaging.PackagingBoundaryError, match="validation layer.*needs"):
            _import_as("einvoice.companies.service", "saxonche")
        with pytest.raises(packaging.PackagingBoundaryError, match="render layer"):
            _import_as("functions.companies_create.handler", "typst")
        with pytest.raises(packaging.PackagingBoundaryError, match="never shipped"):
            _import_as("einvoice.companies.service", "moto")
        _import_as("einvoice.companies.service", "pydantic")  # base layer
        _import_as("einvoice.companies.service", "boto3")  # the runtime's SDK
        _import_as("pyhanko_certvalidator", "asn1crypto")  # third-party code is not checked
    with packaging.running("validations_create"):
        _import_as("einvoice.validation.saxon", "saxonche")
        with pytest.raises(packaging.PackagingBoundaryError, match="seal layer"):
            _import_as("einvoice.seal", "pyhanko")
    with packaging.running("enrolment_issue_certificate"):
        _import_as("einvoice.seal", "pyhanko")
        _import_as("einvoice.enrolment.certificate", "typst")
    _import_as("einvoice.validation.saxon", "saxonche")  # outside a handler: tests and tools import freely


def test_dispatch_runs_manifest_handlers_inside_their_boundary(aws):
    seen = []

    def handler(event, context):
        seen.append(packaging._state.functions[-1])
        _import_as("einvoice.seal", "pyhanko")

    dispatch.register("health", handler)
    try:
        with pytest.raises(packaging.PackagingBoundaryError, match="function health"):
            dispatch.call("health", {})
    finally:
        dispatch.register_manifest()
    assert seen == ["health"]
