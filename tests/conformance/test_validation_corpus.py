"""Every corpus invoice through ``einvoice.validation.validate``, compared with expected.json.

Agreement = for each rule layer the engine ran and the oracle covers, the set of FATAL rule ids is
identical (warnings are not compared: their ids moved between artefact releases). Files the engine
must not accept as invoices (CDAR, Order-X, ZUGFeRD 1.0, PDFs without XML, broken XML) must be
refused with a typed BadRequestError. XSD is not covered by the oracle (the corpus did not run it);
XSD-invalid files are counted in the summary.

Known disagreements are listed in ``KNOWN_DIFFERENCES`` with the reason and in ``EXPECTED_DIFFS``
with the exact difference (rule ids per layer); they are ``xfail(strict=True, raises=KnownDifference)``:
only the pinned difference is an expected failure, any other difference fails, and a file that starts
agreeing (new artefacts) fails the run so that the entry is removed. Rules are never loosened to make
a file agree.
"""

from __future__ import annotations

import pytest
from validation_corpus_support import CORPUS, FOLDERS, compare, invoice_entries, must_be_refused
from validation_known_differences import EXPECTED_DIFFS, KNOWN_DIFFERENCES, NOT_REFUSED, KnownDifference

from einvoice.errors import BadRequestError
from einvoice.validation import validate


def _params():
    params = []
    for folder in FOLDERS:
        for entry in invoice_entries(folder):
            marks = []
            reason = KNOWN_DIFFERENCES.get((folder, entry["file"]))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, raises=KnownDifference, reason=reason))
            params.append(pytest.param(folder, entry, id=f"{folder}/{entry['file']}", marks=marks))
    if not params:
        params.append(
            pytest.param(None, None, id="corpus-absent", marks=pytest.mark.skip(reason=f"corpus not found at {CORPUS}"))
        )
    return params


@pytest.mark.parametrize(("folder", "entry"), _params())
def test_corpus_file_agrees_with_expected(folder, entry, corpus_dir, agreement):
    data = (corpus_dir / folder / entry["file"]).read_bytes()
    refusal = must_be_refused(entry)
    if refusal:
        try:
            report = validate(data, filename=entry["file"])
        except BadRequestError:
            agreement.record(folder, True)
            return
        agreement.record(folder, False)
        if EXPECTED_DIFFS.get((folder, entry["file"])) == NOT_REFUSED:
            raise KnownDifference(f"not refused ({refusal}), as pinned: verdict {report.verdict}")
        pytest.fail(f"expected a refusal ({refusal}), got verdict {report.verdict}")

    report = validate(data, filename=entry["file"])
    diff = compare(entry, report)
    xsd_invalid = bool(report.rule_ids("fatal", "xsd"))
    fields = entry.get("fields") or {}
    spec_ok = report.specification_id == (fields.get("BT-24_specification_id") or None)
    agreement.record(folder, not diff and spec_ok, xsd_invalid)

    assert spec_ok, (report.specification_id, fields.get("BT-24_specification_id"))
    assert report.format == (
        "facturx" if entry["kind"] == "pdf" else ("cii" if entry["syntax"].startswith("CII") else "ubl")
    )
    # never "valid" with a fatal finding, never "valid" if a layer errored
    fatal = [f for f in report.findings if f.severity == "fatal"]
    assert (report.verdict == "valid") == (not fatal)
    found = {layer: (sorted(u), sorted(m)) for layer, (u, m) in diff.items()}
    pinned = EXPECTED_DIFFS.get((folder, entry["file"]))
    if found and found == pinned:
        raise KnownDifference(f"differs from the oracle exactly as pinned: {found}")
    assert not found, {"difference (layer: only engine, only oracle)": found, "pinned": pinned}
    if entry.get("upstream_expected_level"):
        assert report.profile == entry["upstream_expected_level"]
