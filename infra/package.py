"""``make package``: build exactly what ``make deploy`` uploads, and check it against Lambda's limits.

* one zip per layer (``infra.layers.LAYERS``) under ``build/package/layers/``: wheels for the Lambda
  runtime (``pip install --platform ... --python-version ... --only-binary=:all: --no-deps``, versions
  from ``requirements.lock``, download cache ``build/pip-cache``), the ``einvoice`` package (base),
  layer data (fonts); native modules stripped of their symbol tables (``strip --strip-unneeded``);
  bytecode only when an interpreter of the runtime's version is at hand (``python3.12`` on PATH or
  ``EINVOICE_LAMBDA_PYTHON``), compiled by it (``unchecked-hash``); otherwise sources only, since
  bytecode of another version is useless to the runtime;
* one zip per function (``functions/<name>/``) under ``build/package/functions/``;
* ``build/package/manifest.json`` (what the CDK stack reads) and a size report per function:
  code + its layers, unzipped against 250 MB and zipped, against the 5-layer limit.

Exits 1 when a function is over a limit. Zips are deterministic (sorted entries, fixed dates), so an
unchanged layer keeps its hash and CDK uploads nothing new; a layer whose inputs did not change is
not rebuilt.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from infra import layers as spec

ROOT = spec.ROOT
DEFAULT_OUT = ROOT / "build" / "package"
DEFAULT_CACHE = ROOT / "build" / "pip-cache"
ZIP_DATE = (2026, 1, 1, 0, 0, 0)
MB = 1_000_000
# never shipped: bytecode of this interpreter, and test suites packaged inside wheels
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc", ".pyo")


def _files(directory: Path, excludes: tuple[str, ...] = ()) -> list[Path]:
    out = []
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).as_posix()
        if any(part in SKIP_DIRS for part in path.relative_to(directory).parts):
            continue
        if any(rel == e or rel.startswith(e + "/") for e in excludes):
            continue
        if path.is_file() and not path.name.endswith(SKIP_SUFFIXES):
            out.append(path)
    return out


def _digest(paths: list[Path], base: Path, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for path in paths:
        h.update(path.relative_to(base).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def write_zip(root: Path, target: Path) -> None:
    """Deterministic zip of ``root``'s files (sorted, fixed dates, modes kept)."""
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), ZIP_DATE)
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as fh:
                z.writestr(info, fh.read(), compresslevel=9)
    tmp.replace(target)


def zip_sizes(path: Path) -> tuple[int, int]:
    """(unzipped bytes, zipped bytes) of a zip file."""
    with zipfile.ZipFile(path) as z:
        return sum(i.file_size for i in z.infolist()), path.stat().st_size


def _pip_install(requirements: list[str], target: Path, cache: Path) -> None:
    cmd = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
        "--no-compile", "--only-binary=:all:", "--implementation", "cp", "--python-version", spec.PYTHON_VERSION,
        *[arg for platform in spec.PLATFORMS for arg in ("--platform", platform)],
        "--cache-dir", str(cache), "--target", str(target), *requirements,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"pip could not install {requirements} for {spec.LAMBDA_RUNTIME}:\n{proc.stderr[-3000:]}")


def bytecode_interpreter() -> str | None:
    """An interpreter of the Lambda runtime's Python version, if this machine has one."""
    for candidate in (os.environ.get("EINVOICE_LAMBDA_PYTHON"), f"python{spec.PYTHON_VERSION}"):
        path = shutil.which(candidate) if candidate else None
        if not path:
            continue
        proc = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip() == spec.PYTHON_VERSION:
            return path
    return None


def _strip_native(root: Path) -> None:
    """Drop the symbol tables of native modules (typst: 84 -> 68 MB); dynamic symbols stay."""
    strip = shutil.which("strip")
    if strip is None:
        raise SystemExit("`strip` (binutils) is needed to package the layers: run `make install`")
    native = [p for p in root.rglob("*") if p.is_file() and (p.suffix == ".so" or ".so." in p.name)]
    for path in native:
        subprocess.run([strip, "--strip-unneeded", str(path)], check=True, capture_output=True)


def _compile(root: Path, interpreter: str) -> None:
    subprocess.run([interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
                    str(root)], check=True, capture_output=True)


def _layer_inputs(layer: spec.Layer, dists: dict[str, str]) -> tuple[str, list[tuple[Path, Path]]]:
    """(hash of everything the layer is built from, [(source file, path in the layer)])."""
    copies: list[tuple[Path, Path]] = []
    if layer.name == "base":
        excludes = tuple(e for other in spec.LAYERS for e in other.excludes_from_package)
        src = spec.SOURCE / "einvoice"
        copies += [(p, Path("python") / "einvoice" / p.relative_to(src)) for p in _files(src, excludes)]
    for source, dest in layer.data:
        src = ROOT / source
        copies += [(p, Path(dest) / p.relative_to(src)) for p in _files(src)]
    h = hashlib.sha256(json.dumps([spec.LAMBDA_RUNTIME, spec.PLATFORMS, sorted(dists.items())]).encode())
    for source, dest in copies:
        h.update(dest.as_posix().encode())
        h.update(hashlib.sha256(source.read_bytes()).digest())
    return h.hexdigest(), copies


def build_layer(layer: spec.Layer, dists: dict[str, str], out: Path, cache: Path,
                interpreter: str | None = None) -> dict:
    target = out / "layers" / f"{layer.name}.zip"
    meta_path = out / "layers" / f"{layer.name}.json"
    inputs, copies = _layer_inputs(layer, dists)
    inputs = hashlib.sha256(f"{inputs}|bytecode={bool(interpreter)}".encode()).hexdigest()
    if target.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("inputs") == inputs:
            return meta
    work = out / "work" / layer.name
    shutil.rmtree(work, ignore_errors=True)
    (work / "python").mkdir(parents=True)
    if dists:
        _pip_install([f"{name}=={version}" for name, version in dists.items()], work / "python", cache)
    for source, dest in copies:
        (work / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, work / dest)
    for path in [p for p in work.rglob("*") if p.is_dir() and p.name in SKIP_DIRS]:
        shutil.rmtree(path, ignore_errors=True)
    for path in work.rglob("*"):
        if path.is_file() and path.name.endswith(SKIP_SUFFIXES):
            path.unlink()
    _strip_native(work)
    if interpreter:
        _compile(work / "python", interpreter)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_zip(work, target)
    shutil.rmtree(work, ignore_errors=True)
    unzipped, zipped = zip_sizes(target)
    meta = {
        "name": layer.name,
        "zip": target.relative_to(out).as_posix(),
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
        "unzipped": unzipped,
        "zipped": zipped,
        "distributions": dists,
        "bytecode": bool(interpreter),
        "inputs": inputs,
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def build_function(name: str, out: Path) -> dict:
    src = ROOT / "functions" / name
    work = out / "work" / f"fn-{name}"
    shutil.rmtree(work, ignore_errors=True)
    for path in _files(src):
        (work / path.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, work / path.relative_to(src))
    target = out / "functions" / f"{name}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_zip(work, target)
    shutil.rmtree(work, ignore_errors=True)
    unzipped, zipped = zip_sizes(target)
    return {"zip": target.relative_to(out).as_posix(), "unzipped": unzipped, "zipped": zipped}


def problems(unzipped: int, layer_count: int) -> list[str]:
    """What breaks Lambda's limits for a function of that unzipped size (code + layers) and layer count."""
    out = []
    if unzipped > spec.MAX_UNZIPPED_BYTES:
        out.append(f"unzipped {unzipped / MB:.1f} MB > {spec.MAX_UNZIPPED_BYTES / MB:.1f} MB")
    if layer_count > spec.MAX_LAYERS:
        out.append(f"{layer_count} layers > {spec.MAX_LAYERS}")
    return out


def package(out: Path = DEFAULT_OUT, cache: Path = DEFAULT_CACHE) -> dict:
    from einvoice.routes import FUNCTIONS

    out.mkdir(parents=True, exist_ok=True)
    dists = spec.distributions()
    interpreter = bytecode_interpreter()
    built = {layer.name: build_layer(layer, dists[layer.name], out, cache, interpreter) for layer in spec.LAYERS}
    functions = {}
    for fn in FUNCTIONS:
        code = build_function(fn.name, out)
        names = spec.layers_for(fn)
        unzipped = code["unzipped"] + sum(built[n]["unzipped"] for n in names)
        zipped = code["zipped"] + sum(built[n]["zipped"] for n in names)
        functions[fn.name] = {**code, "layers": list(names), "totalUnzipped": unzipped, "totalZipped": zipped,
                              "problems": problems(unzipped, len(names))}
    manifest = {
        "runtime": spec.LAMBDA_RUNTIME,
        "architecture": spec.ARCHITECTURE,
        "platforms": list(spec.PLATFORMS),
        "bytecode": f"compiled by {interpreter}" if interpreter else
        f"sources only (no python{spec.PYTHON_VERSION} here to compile for the runtime)",
        "layers": {k: {f: v for f, v in m.items() if f != "inputs"} for k, m in built.items()},
        "functions": functions,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(out / "work", ignore_errors=True)
    return manifest


def report(manifest: dict) -> str:
    lines = [f"Lambda runtime {manifest['runtime']} ({manifest['architecture']}); limits: "
             f"{spec.MAX_UNZIPPED_BYTES / MB:.1f} MB unzipped (code + layers), {spec.MAX_LAYERS} layers, "
             f"{spec.MAX_DIRECT_UPLOAD_BYTES / MB:.1f} MB per zip for direct upload (CDK uploads through S3)",
             f"bytecode: {manifest['bytecode']}", "",
             f"{'layer':<12}{'unzipped MB':>13}{'zipped MB':>11}  contents"]
    for name, layer in manifest["layers"].items():
        note = ", ".join(layer["distributions"]) or "-"
        lines.append(f"{name:<12}{layer['unzipped'] / MB:>13.1f}{layer['zipped'] / MB:>11.1f}  {note}")
    lines += ["", f"{'function':<30}{'layers':<36}{'unzipped MB':>12}{'zipped MB':>11}  verdict"]
    for name, fn in manifest["functions"].items():
        verdict = "; ".join(fn["problems"]) or (
            f"ok ({fn['totalUnzipped'] / spec.MAX_UNZIPPED_BYTES:.0%} of the unzipped limit)")
        lines.append(f"{name:<30}{'+'.join(fn['layers']):<36}{fn['totalUnzipped'] / MB:>12.1f}"
                     f"{fn['totalZipped'] / MB:>11.1f}  {verdict}")
    for name, layer in manifest["layers"].items():
        if layer["zipped"] > spec.MAX_DIRECT_UPLOAD_BYTES:
            lines.append(f"note: layer {name} is {layer['zipped'] / MB:.1f} MB zipped: uploaded through the CDK "
                         "asset bucket (S3), not directly")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("EINVOICE_PIP_CACHE", DEFAULT_CACHE)))
    args = parser.parse_args(argv)
    manifest = package(args.out.resolve(), args.cache.resolve())
    print(report(manifest))
    over = [name for name, fn in manifest["functions"].items() if fn["problems"]]
    if over:
        print(f"\nFAILED: {len(over)} function(s) over Lambda's limits: {', '.join(over)}", file=sys.stderr)
        return 1
    print(f"\n{len(manifest['functions'])} functions within Lambda's limits; artefacts in "
          f"{args.out.resolve().relative_to(ROOT) if args.out.resolve().is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
