"""Generate a realistic, made-up directory extract (same format as ``directory-seed.csv``).

Deterministic for a given ``(n, seed)``. Every identifier has a valid key (Luhn, or the La Poste
digit-sum rule for SIREN 356000000 establishments). About 8 % of legal units are not VAT-liable,
3 % are closed, and reception platforms are mixed: none (~60 %), this platform ``0238:PA-THIS``,
and two other approved platforms ``0238:PA-0042`` / ``0238:PA-0117``.
"""

from __future__ import annotations

import csv
import io
import os
import random
from collections.abc import Iterator
from typing import IO

from einvoice.directory.loader import COLUMNS

LA_POSTE_SIREN = "356000000"

_ACTIVITIES = (
    "Boulangerie",
    "Menuiserie",
    "Électricité",
    "Hôtel",
    "Atelier",
    "Librairie",
    "Agence",
    "Maçonnerie",
    "Garage",
    "Laboratoire",
    "Transports",
    "Fromagerie",
    "Pharmacie",
    "Cabinet",
    "Imprimerie",
    "Brasserie",
    "Plomberie",
    "Café",
    "Épicerie",
    "Société",
    "Conseil",
    "Pâtisserie",
)
_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefebvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Hérault",
    "Gaël",
    "Noël",
    "Chevalier",
    "Côté",
)
_FORMS = ("SARL", "SAS", "SASU", "EURL", "SA", "SCI", "")
_CITIES = (
    "Paris",
    "Lyon",
    "Marseille",
    "Toulouse",
    "Nice",
    "Nantes",
    "Strasbourg",
    "Montpellier",
    "Bordeaux",
    "Lille",
    "Rennes",
    "Grenoble",
    "Saint-Étienne",
    "Besançon",
    "Orléans",
    "Nîmes",
)
_PLATFORMS = ((0.60, ""), (0.75, "0238:PA-THIS"), (0.88, "0238:PA-0042"), (1.0, "0238:PA-0117"))


def luhn_check_digit(payload: str) -> str:
    """The digit to append to ``payload`` so that the whole number passes Luhn."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = ord(ch) - 48
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _la_poste_sirets(count: int) -> list[str]:
    out, nic = [], 1
    while len(out) < count:
        siret = f"{LA_POSTE_SIREN}{nic:05d}"
        if sum(map(int, siret)) % 5 == 0 and siret != "35600000000048":
            out.append(siret)
        nic += 1
    return out


def generate_seed(n: int, seed: int = 42, *, la_poste: int = 5) -> Iterator[tuple[str, ...]]:
    """Rows (tuples in ``COLUMNS`` order) for ``n`` legal units plus La Poste's establishments."""
    rng = random.Random(seed)
    used: set[str] = {LA_POSTE_SIREN}
    for _ in range(n):
        while True:
            body = f"{rng.randrange(10**7, 10**8):08d}"
            siren = body + luhn_check_digit(body)
            if siren not in used:
                used.add(siren)
                break
        form = rng.choice(_FORMS)
        name = f"{rng.choice(_ACTIVITIES)} {rng.choice(_NAMES)}" + (f" {form}" if form else "")
        vat = "0" if rng.random() < 0.08 else "1"
        status = "closed" if rng.random() < 0.03 else "active"
        r = rng.random()
        platform = next(p for limit, p in _PLATFORMS if r < limit)
        count = rng.choices((1, 2, 3), weights=(60, 25, 15))[0]
        for k in range(count):
            nic_body = f"{k + 1:03d}0" if k == 0 else f"{rng.randrange(10, 999):03d}{k}"
            payload = siren + nic_body
            siret = payload + luhn_check_digit(payload)
            label = "siège" if k == 0 else f"établissement {k}"
            city = rng.choice(_CITIES)
            yield (siren, siret, name, label, city, vat, status, platform)
    if la_poste:
        yield (LA_POSTE_SIREN, "35600000000048", "La Poste", "siège", "Paris", "1", "active", "0238:PA-0042")
        for i, siret in enumerate(_la_poste_sirets(la_poste), 1):
            yield (LA_POSTE_SIREN, siret, "La Poste", f"bureau {i}", rng.choice(_CITIES), "1", "active", "0238:PA-0042")


def write_seed(out: str | os.PathLike | IO[str], n: int, seed: int = 42) -> int:
    """Write the extract as ``;``-separated UTF-8 with a header line; returns the row count."""
    own = isinstance(out, (str, os.PathLike))
    fh: IO[str] = open(out, "w", encoding="utf-8", newline="") if own else out  # noqa: SIM115
    try:
        w = csv.writer(fh, delimiter=";", lineterminator="\n")
        w.writerow(COLUMNS)
        rows = 0
        for row in generate_seed(n, seed):
            w.writerow(row)
            rows += 1
        return rows
    finally:
        if own:
            fh.close()


def seed_bytes(n: int, seed: int = 42) -> bytes:
    buf = io.StringIO()
    write_seed(buf, n, seed)
    return buf.getvalue().encode("utf-8")


LOCAL_SEED_UNITS = 2000
LOCAL_SEED = 2026


def shared_fixture_path() -> str | None:
    """``../shared/fixtures/directory-seed.csv`` next to the repository, when present."""
    from pathlib import Path

    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared" / "fixtures" / "directory-seed.csv"
        if (parent / "pyproject.toml").exists() and candidate.exists():
            return str(candidate)
    return None


def seed_local(settings=None) -> dict:
    """Seed the local directory table (``make run``): a generated data set of
    ``LOCAL_SEED_UNITS`` legal units, plus the shared fixture when it is available. Idempotent."""
    from einvoice.directory.loader import load_csv

    out = {"generated": load_csv(seed_bytes(LOCAL_SEED_UNITS, LOCAL_SEED), settings=settings).to_json()}
    fixture = shared_fixture_path()
    if fixture:
        out["fixture"] = load_csv(fixture, settings=settings).to_json()
    return out
