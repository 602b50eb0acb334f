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
    """The page divided by its paper brightness (uneven lighting and grey paper removed)."""
    import numpy as np
    from PIL import Image, ImageFilter

    w, h = img.size
    small = img.resize((max(1, w // 16), max(1, h // 16)), Image.Resampling.BILINEAR)
    # a closing (max then min filter): removes the ink without shifting a lighting gradient
    paper = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.MinFilter(5))
    paper = paper.resize((w, h), Image.Resampling.BILINEAR)
    a = np.asarray(img, dtype=np.float32) * 255 / np.maximum(np.asarray(paper, dtype=np.float32), 1)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


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
    return img, angle
