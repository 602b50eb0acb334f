"""Helpers for the validation conformance suite: corpus paths, oracle mapping, agreement record."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / "../shared/corpus").resolve()

FOLDERS = ("xp-z12-french-ctc", "en16931-cen", "zugferd-corpus", "akretion-factur-x", "invoice2data")

ERROR = "<rule set crashed>"


@lru_cache(maxsize=None)
def expected(folder: str) -> dict:
    path = CORPUS / folder / "expected.json"
    if not path.is_file():
        return {"files": []}
    return json.loads(path.read_text(encoding="utf-8"))


def invoice_entries(folder: str) -> list[dict]:
    """Entries that are documents (XML or PDF) - not ground-truth JSON nor VEFA test sets."""
    return [e for e in expected(folder)["files"] if e.get("kind") in ("xml", "pdf")]


def must_be_refused(entry: dict) -> str | None:
    """Why the engine must refuse this file with a typed error (None = it must produce a report)."""
    if entry.get("wellformed") is False or entry.get("parse_error"):
        return "embedded XML is not well-formed"
    syntax = entry.get("syntax")
    if syntax is None:
        return "no embedded invoice"
    if syntax == "other":
        return "not an invoice (CDAR lifecycle message / Order-X)"
    if syntax == "ZUGFeRD-1.0-CII":
        return "ZUGFeRD 1.0 syntax"
    return None


def layer_of_ruleset(key: str) -> str:
    if "BR-FR" in key:
        return "br-fr"
    if "EXTENDED-CTC-FR" in key:
        return "extended-ctc-fr"
    return "en16931"


def oracle_by_layer(entry: dict, layers_run: set[str], cen_cii: bool = False) -> dict[str, set[str]]:
    """Expected fatal rule ids per engine layer, for the layers the oracle covers.

    For the en16931 layer on CII the engine runs either the Factur-X profile schematron (Factur-X
    BT-24) or the vendored CEN CII XSLT (another CIUS, ``cen_cii``): the oracle of the same rule set
    is used (the corpus ran the CEN CII XSLT on every non-Factur-X CII id, and both on the bare
    ``urn:cen.eu:en16931:2017``).
    """
    validation = entry.get("validation") or {}
    out: dict[str, set[str]] = {}
    for layer in layers_run:
        keys = [k for k in validation if layer_of_ruleset(k) == layer]
        if layer == "en16931" and not cen_cii and any(k.startswith("FACTUR-X") for k in keys):
            keys = [k for k in keys if k.startswith("FACTUR-X")]
        elif layer == "en16931" and cen_cii:
            keys = [k for k in keys if k.startswith("CEN-EN16931-CII")]
        if not keys:
            continue
        ids: set[str] = set()
        for k in keys:
            v = validation[k]
            if "error" in v:
                ids.add(ERROR)
            ids |= set(v.get("fatal", []))
        out[layer] = ids
    return out


def engine_by_layer(report) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for rs in report.rule_sets:
        if rs.layer and rs.layer not in ("xsd", "pdfa"):
            out[rs.layer]
    for f in report.findings:
        if f.layer in ("xsd", "pdfa") or f.rule_id.startswith("EINV-VAL-PROFILE"):
            continue  # not covered by the oracle (no XSD, no PDF/A run in the corpus)
        if f.rule_id == "EINV-VAL-ENGINE":
            out[f.layer].add(ERROR)
        elif f.severity == "fatal":
            out[f.layer].add(f.rule_id)
    return dict(out)


def compare(entry: dict, report) -> dict[str, tuple[set[str], set[str]]]:
    """{layer: (unexpected ids, missing ids)} for the layers that disagree (empty = agreement)."""
    got = engine_by_layer(report)
    exp = oracle_by_layer(entry, set(got), any(rs.name == "CEN EN16931 CII schematron" for rs in report.rule_sets))
    diff = {}
    for layer, ids in exp.items():
        mine = got.get(layer, set())
        if mine != ids:
            diff[layer] = (mine - ids, ids - mine)
    return diff


@dataclass
class Agreement:
    data: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    xsd_invalid: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, folder: str, agrees: bool, xsd_invalid: bool = False) -> None:
        with self.lock:
            self.data[folder].append(agrees)
            if xsd_invalid:
                self.xsd_invalid[folder] += 1

    def summary_lines(self) -> list[str]:
        lines = []
        for folder in sorted(self.data):
            results = self.data[folder]
            extra = (
                f" (XSD-invalid, not covered by the oracle: {self.xsd_invalid[folder]})"
                if self.xsd_invalid[folder]
                else ""
            )
            lines.append(f"{folder}: {sum(results)}/{len(results)}{extra}")
        return lines


AGREEMENT = Agreement()
