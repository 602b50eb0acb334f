"""Clean-up of photos and scans before recognition: resolution, contrast, noise, skew.

* resolution: Tesseract reads best when the x-height is 20-30 px, i.e. 300 dpi for 9-10 pt body
  text. Pages narrower than ``MIN_WIDTH`` px (an A4 below ~200 dpi) are upscaled to it; 200 dpi
  is the minimum we document for scans (measured in ``bench/ocr_bench.py``);
* lighting: the paper's own brightness is estimated (a 1/16 copy, closed by a max then min filter so the ink
  disappears)
  and divided out, so a grey or unevenly lit page (photo, faded scan) becomes white paper with dark
  ink; without it Tesseract's page segmentation drops whole blocks of such pages (measured: 37 of
  ~120 words read on a page photographed with a shadow gradient, and 5x the time);
* contrast: grey levels stretched (1 % cut at each end);
* table rules: long horizontal and vertical ink runs are erased after the deskew (``remove_rules``);
* noise: a 3x3 median filter removes salt-and-pepper dots without eating the strokes at 200+ dpi;
* skew: projection profile on a reduced copy (the angle that makes text rows sharpest, searched
  in +/- ``MAX_SKEW`` degrees, coarse then fine) and a rotation of the full page;
* orientation (90/180/270): EXIF first (``document.load_images``); otherwise Tesseract's OSD is
  asked by the engine when the first reading is poor.
"""

from __future__ import annotations

from typing import Any

MIN_WIDTH = 2000  # px across the page (A4 at ~240 dpi)
MAX_WIDTH = 3600  # px: larger scans are reduced (A4 at ~430 dpi is plenty and halves the time)
MAX_SKEW = 6.0  # degrees


def _profile_score(small: Any, angle: float) -> float:
    import numpy as np

    rotated = small.rotate(angle, expand=False, fillcolor=0)
    a = np.asarray(rotated, dtype=np.float32)
    rows = a.sum(axis=1)
    return float(np.square(np.diff(rows)).sum())


def estimate_skew(image: Any) -> float:
    """Skew angle in degrees (positive = counter-clockwise correction to apply)."""
    import numpy as np
    from PIL import Image

    w, h = image.size
    scale = 900 / max(w, 1)
    small = image.resize((max(1, int(w * scale)), max(1, int(h * scale))), Image.Resampling.BILINEAR)
    a = np.asarray(small, dtype=np.uint8)
    # ink = dark pixels, as 1s (inverted so the rotation fill is "no ink")
    threshold = min(160, int(a.mean() * 0.8))
    ink = Image.fromarray(((a < threshold) * 255).astype(np.uint8))
    best, best_score = 0.0, -1.0
    for step, span in ((0.5, MAX_SKEW), (0.1, 0.5)):
        centre = best
        n = int(round(span / step))
        for i in range(-n, n + 1):
            angle = centre + i * step
            score = _profile_score(ink, angle)
            if score > best_score:
                best, best_score = angle, score
    return round(best, 2)


def flatten(img: Any) -> Any:
    """The page divided by its paper brightness (uneven lighting and grey paper removed).

    Large dark areas (a coloured header band, a dark logo block) are not paper: there the page is
    inverted first, so their light text comes out dark on white like the rest."""
    import numpy as np
    from PIL import Image, ImageFilter

    w, h = img.size
    small = img.resize((max(1, w // 16), max(1, h // 16)), Image.Resampling.BILINEAR)
    # a closing (max then min filter): removes the ink without shifting a lighting gradient
    paper_small = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.MinFilter(5))
    paper = np.asarray(paper_small.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)
    a = np.asarray(img, dtype=np.float32)
    typical = float(np.percentile(np.asarray(paper_small, dtype=np.float32), 90))
    out = a * 255 / np.maximum(paper, 1)
    dark = paper < 0.55 * typical
    if dark.any():
        # inverted: the band becomes white paper, its light text dark ink
        out = np.where(dark, (255 - a) * 255 / np.maximum(255 - paper, 1), out)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def _long_runs(ink: Any, length: int) -> Any:
    """Pixels of ``ink`` (bool, rows x cols) lying in a horizontal run of at least ``length`` pixels."""
    import numpy as np

    rows, cols = ink.shape
    if cols <= length:
        return np.zeros_like(ink)
    c = np.concatenate([np.zeros((rows, 1), np.int32), np.cumsum(ink, axis=1, dtype=np.int32)], axis=1)
    full = (c[:, length:] - c[:, :-length]) == length  # a run of `length` ink pixels starts here
    f = np.concatenate([np.zeros((rows, 1), np.int32), np.cumsum(full, axis=1, dtype=np.int32)], axis=1)
    j = np.arange(cols)
    hi = np.minimum(j + 1, full.shape[1])
    lo = np.maximum(j - length + 1, 0)
    return (f[:, hi] - f[:, lo]) > 0


def _window_any(mask: Any, size: int) -> Any:
    """Horizontal dilation: True where any of the ``size`` pixels centred on it is True."""
    import numpy as np

    rows, cols = mask.shape
    half = size // 2
    c = np.concatenate([np.zeros((rows, 1), np.int32), np.cumsum(mask, axis=1, dtype=np.int32)], axis=1)
    j = np.arange(cols)
    return (c[:, np.minimum(j + half + 1, cols)] - c[:, np.maximum(j - half, 0)]) > 0


def _leaders(ink: Any, across: int) -> Any:
    """Dotted leaders ("Total HT ........ 1 234,56"): small dots close together on one line. Closed
    horizontally they make a long run only a few pixels high, where text makes tall strokes."""

    gap = max(6, ink.shape[1] // 160)
    closed = ~_window_any(~_window_any(ink, gap), gap)  # closing: dots joined, gaps between words kept
    thin = closed & ~_long_runs(closed.T, max(8, ink.shape[1] // 200)).T  # lower than a small letter
    return _long_runs(thin, across) & _window_any(ink, 3)


def remove_rules(img: Any) -> Any:
    """Table rules, frames and dotted leaders erased: horizontal and vertical ink runs longer than
    any character stroke, and lines of dots. Tesseract reads a ruled cell's border as "|", "[", "_" and merges
    cells across it; without the rules the cells read like any text."""
    import numpy as np
    from PIL import Image, ImageFilter

    a = np.asarray(img, dtype=np.uint8)
    ink = a < 190  # thin rules come out grey after blur and JPEG
    # horizontal: 3 % of the width (an em dash is ~1.5 %); vertical: 5 % (a 40-pt capital is ~4 %)
    across = max(30, int(a.shape[1] * 0.03))
    down = max(50, int(a.shape[1] * 0.05))
    lines = _long_runs(ink, across) | _long_runs(ink.T, down).T | _leaders(ink, across)
    if not lines.any():
        return img
    mask = Image.fromarray((lines * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(5))  # and their fringes
    out = a.copy()
    out[np.asarray(mask) > 0] = 255
    return Image.fromarray(out)


def prepare(image: Any) -> tuple[Any, float]:
    """The cleaned grayscale page and the rotation applied (degrees)."""
    from PIL import Image, ImageFilter, ImageOps

    img = flatten(image.convert("L"))
    w, h = img.size
    if w < MIN_WIDTH:
        f = MIN_WIDTH / w
        img = img.resize((MIN_WIDTH, int(h * f)), Image.Resampling.LANCZOS)
    elif w > MAX_WIDTH:
        f = MAX_WIDTH / w
        img = img.resize((MAX_WIDTH, int(h * f)), Image.Resampling.LANCZOS)
    img = ImageOps.autocontrast(img, cutoff=1)
    img = img.filter(ImageFilter.MedianFilter(3))
    angle = estimate_skew(img)
    if abs(angle) >= 0.15:
        img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return remove_rules(img), angle
