"""Peer runner for bench/generation_bench.py: times ``ads-facturx`` in its own virtualenv.

Run by the bench with ``build/bench-venv-ads/bin/python`` (ads-facturx pins factur-x < 7 and
saxonche < 13, so it cannot share the project venv). Reads a JSON job on stdin::

    {"profile": "EU"|"FR", "warmup": 2, "workdir": "...",
     "invoices": [{"name": "...", "variants": [{...DevisData dict...}, ...]}]}

and prints a JSON result on stdout: per invoice the wall times (seconds) of the full
dict -> Factur-X pipeline documented in the ads-facturx README (validate DevisData,
export_xml, xml_check_xsd, export_pdf, add_icc, generate_facturx), the output size and a
few facts about the output (pdfaid part, OutputIntents, fonts embedded, attachment name).
Only ads-facturx's public API is used; its pipeline is file based, so files go to workdir.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def run_one(data: dict, profile, workdir: Path, idx: int) -> tuple[dict, bytes]:
    from ads_facturx import (
        DevisData,
        add_icc,
        export_pdf,
        export_xml,
        generate_facturx,
        xml_check_xsd,
    )

    c0 = time.process_time()
    t0 = time.perf_counter()
    validated = DevisData.model_validate(data, context={"profile": profile})
    xml_string = export_xml(validated, profile)
    t1 = time.perf_counter()
    xml_check_xsd(xml_string, profile)
    t2 = time.perf_counter()
    name = f"inv{idx}"
    pdf_path = workdir / f"{name}.pdf"
    export_pdf(title=validated.invoice.name, output_path=str(pdf_path), data=validated)
    t3 = time.perf_counter()
    tmp = str(pdf_path) + ".icc.pdf"
    add_icc(str(pdf_path), tmp)
    os.replace(tmp, pdf_path)
    t4 = time.perf_counter()
    generate_facturx(file_name=pdf_path.name, destination_folder=str(workdir), xml=xml_string)
    out = pdf_path.read_bytes()
    t5 = time.perf_counter()
    stages = {"model_xml": t1 - t0, "xsd": t2 - t1, "pdf": t3 - t2, "icc": t4 - t3, "facturx": t5 - t4,
              "total": t5 - t0, "cpu": time.process_time() - c0}
    return stages, out


def facts(pdf: bytes) -> dict:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    fonts_ok = True
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            if font.get("/Subtype") == "/Type0":
                font = font["/DescendantFonts"][0].get_object()
            desc = font.get("/FontDescriptor")
            if desc is None or not any(k in desc.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                fonts_ok = False
    xmp = root["/Metadata"].get_object().get_data() if "/Metadata" in root else b""
    return {
        "output_intents": "/OutputIntents" in root,
        "fonts_embedded": fonts_ok,
        "pdfaid_part_3": b"pdfaid:part>3<" in xmp or b'pdfaid:part="3"' in xmp,
        "attachments": sorted(reader.attachments),
        "pages": len(reader.pages),
    }


def main() -> int:
    import logging

    logging.disable(logging.INFO)  # factur-x logs every call at INFO
    from ads_facturx import Profile

    job = json.load(sys.stdin)
    profile = Profile.coerce(job["profile"])
    workdir = Path(job["workdir"])
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for idx, item in enumerate(job["invoices"]):
        # "variants": distinct invoices of the same size (warm-up on the first ones, then one
        # timed run each); "data": a single invoice repeated.
        variants = item.get("variants") or [item["data"]] * (job.get("warmup", 2) + job.get("repeat", 10))
        warm = job.get("warmup", 2)
        try:
            for data in variants[:warm]:
                run_one(data, profile, workdir, idx)
            runs = []
            out = b""
            for data in variants[warm:]:
                stages, out = run_one(data, profile, workdir, idx)
                runs.append(stages)
            import base64

            results.append({"name": item["name"], "runs": runs, "size": len(out), "facts": facts(out),
                            "pdf_b64": base64.b64encode(out).decode()})
        except Exception as exc:  # noqa: BLE001 - report, the bench prints why
            results.append({"name": item["name"], "error": f"{type(exc).__name__}: {exc}"[:2000]})
    import ads_facturx

    versions = {"ads_facturx": getattr(ads_facturx, "__version__", "?")}
    try:
        from importlib.metadata import version

        versions.update({p: version(p) for p in ("ads-facturx", "factur-x", "reportlab", "pikepdf", "pypdf")})
    except Exception:  # noqa: BLE001, S110 - versions are informative only
        pass
    json.dump({"results": results, "versions": versions}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
