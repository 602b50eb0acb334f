"""``einvoice validate | convert | render | generate`` (in-process, plus the real entry point)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from einvoice import cli
from einvoice.invoicing import facturx as fx

DATA = Path(__file__).resolve().parent / "test_render_data"
REPO = Path(__file__).resolve().parents[3]
FULL = str(DATA / "invoice_full.json")
CREDIT = str(DATA / "credit_note.json")


def run(*argv: str) -> int:
    return cli.main(list(argv))


# --------------------------------------------------------------------------- generate


def test_generate_facturx(tmp_path: Path, capsys) -> None:
    out = tmp_path / "f.pdf"
    assert run("generate", FULL, "--format", "facturx", "-o", str(out)) == 0
    s = fx.pdfa3_structure(out.read_bytes())
    assert s["ok"] and s["fx_conformance_level"] == "EN 16931"
    assert "facturx written" in capsys.readouterr().err


def test_generate_cii_with_profile(tmp_path: Path) -> None:
    out = tmp_path / "f.xml"
    assert run("generate", CREDIT, "--format", "cii", "--profile", "extended", "-o", str(out)) == 0
    xml = out.read_bytes()
    assert b"CrossIndustryInvoice" in xml and b"urn:factur-x.eu:1p0:extended" in xml
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml


def test_generate_ubl_credit_note(tmp_path: Path) -> None:
    out = tmp_path / "f.xml"
    assert run("generate", CREDIT, "--format", "ubl", "-o", str(out)) == 0
    assert b"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2" in out.read_bytes()


def test_generate_refuses_an_invoice_breaking_french_rules(tmp_path: Path, capsys) -> None:
    body = json.loads(Path(FULL).read_text(encoding="utf-8"))
    body["notes"] = [n for n in body["notes"] if n["subjectCode"] != "PMT"]
    body["seller"]["siren"] = "123456789"  # bad Luhn key
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(body), encoding="utf-8")
    out = tmp_path / "never.pdf"
    assert run("generate", str(src), "--format", "facturx", "-o", str(out)) == 1
    err = capsys.readouterr().err
    assert "BR-FR-05" in err and "BR-FR-10" in err and "seller.siren" in err
    assert not out.exists()


def test_generate_reports_schema_errors_with_field_paths(tmp_path: Path, capsys) -> None:
    body = json.loads(Path(FULL).read_text(encoding="utf-8"))
    del body["number"]
    body["lines"][0]["quantity"] = "three"
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(body), encoding="utf-8")
    assert run("generate", str(src), "--format", "cii", "-o", str(tmp_path / "x.xml")) == 1
    err = capsys.readouterr().err
    assert "not a valid invoice" in err and "number" in err and "lines.0.quantity" in err


def test_generate_needs_json(tmp_path: Path, capsys) -> None:
    src = tmp_path / "x.xml"
    src.write_bytes(b"<Invoice/>")
    assert run("generate", str(src), "--format", "cii", "-o", str(tmp_path / "o.xml")) == 2
    assert "expects a JSON invoice" in capsys.readouterr().err


def test_generate_malformed_json_is_a_usage_error(tmp_path: Path, capsys) -> None:
    src = tmp_path / "x.json"
    src.write_text('{"number": ', encoding="utf-8")
    assert run("generate", str(src), "--format", "cii", "-o", str(tmp_path / "o.xml")) == 2
    assert "malformed JSON" in capsys.readouterr().err


def test_output_directory_must_exist(tmp_path: Path, capsys) -> None:
    out = tmp_path / "missing" / "f.pdf"
    assert run("generate", FULL, "--format", "facturx", "-o", str(out)) == 2
    assert "does not exist" in capsys.readouterr().err


# --------------------------------------------------------------------------- render / convert


def test_render_from_json(tmp_path: Path) -> None:
    from pypdf import PdfReader

    out = tmp_path / "r.pdf"
    assert run("render", FULL, "-o", str(out)) == 0
    s = fx.pdfa3_structure(out.read_bytes())
    assert s["pdfaid_part"] == "3" and s["fonts_embedded"] and s["output_intents"]
    assert "/StructTreeRoot" not in PdfReader(out).trailer["/Root"]
    assert run("render", FULL, "--tagged", "-o", str(out)) == 0
    assert "/StructTreeRoot" in PdfReader(out).trailer["/Root"]


def test_render_from_facturx_and_from_cii(tmp_path: Path) -> None:
    pdf = tmp_path / "f.pdf"
    xml = tmp_path / "f.xml"
    assert run("generate", CREDIT, "--format", "facturx", "-o", str(pdf)) == 0
    assert run("generate", CREDIT, "--format", "cii", "-o", str(xml)) == 0
    for src in (pdf, xml):
        out = tmp_path / f"r-{src.suffix[1:]}.pdf"
        assert run("render", str(src), "-o", str(out)) == 0
        assert out.read_bytes().startswith(b"%PDF-")


def test_convert_json_to_facturx_and_cii(tmp_path: Path) -> None:
    assert run("convert", FULL, "--to", "facturx", "--profile", "basicwl", "-o", str(tmp_path / "a.pdf")) == 0
    assert fx.pdfa3_structure((tmp_path / "a.pdf").read_bytes())["fx_conformance_level"] == "BASIC WL"
    assert run("convert", FULL, "--to", "cii", "-o", str(tmp_path / "a.xml")) == 0
    assert (tmp_path / "a.xml").read_bytes().startswith(b"<?xml")


def test_convert_cii_to_ubl_and_facturx_to_cii(tmp_path: Path) -> None:
    assert run("generate", FULL, "--format", "facturx", "-o", str(tmp_path / "f.pdf")) == 0
    assert run("convert", str(tmp_path / "f.pdf"), "--to", "cii", "-o", str(tmp_path / "f.xml")) == 0
    assert (tmp_path / "f.xml").read_bytes() == fx.extract_xml((tmp_path / "f.pdf").read_bytes())
    assert run("convert", str(tmp_path / "f.xml"), "--to", "ubl", "-o", str(tmp_path / "u.xml")) == 0
    assert b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" in (tmp_path / "u.xml").read_bytes()


def test_convert_refuses_a_non_invoice_file(tmp_path: Path, capsys) -> None:
    src = tmp_path / "notes.txt"
    src.write_text("hello, this is not an invoice\n", encoding="utf-8")
    assert run("convert", str(src), "--to", "cii", "-o", str(tmp_path / "o.xml")) == 2
    assert "not an invoice" in capsys.readouterr().err


def test_convert_plain_pdf_says_it_is_not_a_facturx(tmp_path: Path, capsys) -> None:
    assert run("render", CREDIT, "-o", str(tmp_path / "plain.pdf")) == 0
    assert run("convert", str(tmp_path / "plain.pdf"), "--to", "cii", "-o", str(tmp_path / "o.xml")) == 1
    assert "not a Factur-X" in capsys.readouterr().err


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert run("render", str(tmp_path / "nope.json"), "-o", str(tmp_path / "o.pdf")) == 2
    assert "no such file" in capsys.readouterr().err


# --------------------------------------------------------------------------- validate


@pytest.fixture(scope="module")
def validation_files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("validate")
    assert run("generate", FULL, "--format", "facturx", "-o", str(d / "ok.pdf")) == 0
    assert run("generate", FULL, "--format", "cii", "-o", str(d / "ok.xml")) == 0
    xml = (d / "ok.xml").read_bytes()
    start = xml.index(b"<ram:GrandTotalAmount>") + len(b"<ram:GrandTotalAmount>")
    end = xml.index(b"<", start)
    (d / "bad.xml").write_bytes(xml[:start] + b"99999.99" + xml[end:])
    (d / "text.txt").write_text("not an invoice", encoding="utf-8")
    (d / "other.xml").write_bytes(b"<?xml version='1.0'?><catalog><book/></catalog>")
    return {p.name: p for p in d.iterdir()}


def test_validate_valid_files(validation_files, capsys) -> None:
    assert run("validate", str(validation_files["ok.pdf"]), str(validation_files["ok.xml"])) == 0
    out = capsys.readouterr().out
    assert "ok.pdf: VALID (facturx, en16931)" in out
    assert "  checked: xsd, en16931, br-fr, pdfa (PDF/A-3 + Factur-X container rules" in out
    assert "ok.xml: VALID (cii, en16931)" in out


def test_validate_flags_a_factur_x_whose_container_is_not_pdfa(validation_files, tmp_path: Path, capsys) -> None:
    """Valid XML inside a plain (non PDF/A) PDF: the rules pass, the container rules make it invalid,
    and the exit code follows the report's verdict (the API's)."""
    import io

    import facturx
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buf = io.BytesIO()
    writer.write(buf)
    plain = facturx.generate_from_binary(buf.getvalue(), validation_files["ok.xml"].read_bytes(),
                                         check_xsd=False, pdf_metadata={"keywords": "k", "title": "t"})
    src = tmp_path / "plain-fx.pdf"
    src.write_bytes(plain)
    assert run("validate", str(src)) == 1
    out = capsys.readouterr().out
    assert "INVALID (facturx, en16931) — 2 error(s)" in out
    assert "[fatal] PDFA-OUTPUTINTENT (pdfa): no PDF/A OutputIntent" in out
    assert run("validate", "--json", str(src)) == 1
    report = json.loads(capsys.readouterr().out)["report"]
    assert report["verdict"] == "invalid"
    assert {(f["ruleId"], f["layer"]) for f in report["findings"] if f["severity"] == "fatal"} == {
        ("PDFA-OUTPUTINTENT", "pdfa"), ("PDFA-TRAILER-ID", "pdfa")
    }
    assert run("validate", "--no-container", str(src)) == 0
    assert "pdfa" not in capsys.readouterr().out


def test_validate_invalid_file_exits_1_with_rule_ids(validation_files, capsys) -> None:
    assert run("validate", str(validation_files["ok.xml"]), str(validation_files["bad.xml"])) == 1
    out = capsys.readouterr().out
    assert "bad.xml: INVALID" in out and "BR-CO-15" in out and "BR-CO-16" in out


def test_validate_json_report(validation_files, capsys) -> None:
    assert run("validate", "--json", str(validation_files["bad.xml"])) == 1
    report = json.loads(capsys.readouterr().out)
    assert "container" not in report  # XML: no PDF container to check
    assert report["file"].endswith("bad.xml")
    assert report["report"]["verdict"] == "invalid"
    assert {"BR-CO-15", "BR-CO-16"} <= {f["ruleId"] for f in report["report"]["findings"]}


def test_validate_non_invoice_files_exit_2_with_a_clear_message(validation_files, capsys) -> None:
    code = run("validate", "--json", str(validation_files["text.txt"]), str(validation_files["other.xml"]),
               str(validation_files["ok.xml"]))
    assert code == 2
    results = json.loads(capsys.readouterr().out)
    assert [("error" in r) for r in results] == [True, True, False]
    assert "not an invoice" in results[0]["error"]
    assert results[1]["error"]  # the validation package explains why <catalog> is refused
    assert results[2]["report"]["verdict"] == "valid"


# --------------------------------------------------------------------------- real entry point


def _cli(*argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO / "layers/core/python"))
    return subprocess.run([sys.executable, "-m", "einvoice.cli", *argv], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=120, check=False)


def test_entry_point_generate_and_usage_errors(tmp_path: Path) -> None:
    proc = _cli("generate", FULL, "--format", "facturx", "-o", str(tmp_path / "f.pdf"))
    assert proc.returncode == 0, proc.stderr
    assert fx.pdfa3_structure((tmp_path / "f.pdf").read_bytes())["ok"]
    proc = _cli("generate", FULL, "--format", "pdf", "-o", str(tmp_path / "x"))
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    proc = _cli("render", str(tmp_path / "missing.json"), "-o", str(tmp_path / "o.pdf"))
    assert proc.returncode == 2 and "no such file" in proc.stderr


@pytest.mark.slow
def test_entry_point_validate_invalid_file(validation_files) -> None:
    proc = _cli("validate", str(validation_files["bad.xml"]))
    assert proc.returncode == 1
    assert "INVALID" in proc.stdout and "BR-CO-15" in proc.stdout
