"""Recognised text with its geometry: the one shape every reader produces (text layer, Tesseract, Textract).

Coordinates are fractions of the page (0..1, origin top-left), so the extraction logic is the
same whatever the engine and resolution. Confidences are 0..1 (1.0 for a PDF text layer).

``build_lines`` groups words into visual rows by vertical overlap (engines' own line ids are
ignored: Tesseract splits a label and its value into different blocks when they sit in two
columns) and splits each row into *segments* at wide horizontal gaps (a label column and a value
column become two segments of the same row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (fractions of the page)


@dataclass
class Word:
    text: str
    conf: float
    page: int
    box: Box

    @property
    def xc(self) -> float:
        return (self.box[0] + self.box[2]) / 2

    @property
    def yc(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    @property
    def height(self) -> float:
        return max(self.box[3] - self.box[1], 1e-6)


def union(boxes: Iterable[Box]) -> Box:
    bs = list(boxes)
    if not bs:
        return (0.0, 0.0, 0.0, 0.0)
    return (min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs))


@dataclass
class Segment:
    """Consecutive words of one row with no wide gap between them."""

    words: list[Word]
    row: int = 0  # index of the row in its page
    index: int = 0  # index of the segment in its row

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> Box:
        return union(w.box for w in self.words)

    @property
    def conf(self) -> float:
        return min((w.conf for w in self.words), default=0.0)

    @property
    def page(self) -> int:
        return self.words[0].page if self.words else 1


@dataclass
class Row:
    words: list[Word]
    segments: list[Segment] = field(default_factory=list)
    index: int = 0

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> Box:
        return union(w.box for w in self.words)

    @property
    def page(self) -> int:
        return self.words[0].page if self.words else 1


@dataclass
class Page:
    number: int  # 1-based
    width: float  # points or pixels (informative)
    height: float
    words: list[Word] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    source: str = "text"  # text | tesseract | textract
    # angle corrected before recognition (degrees), for the record
    rotation: float = 0.0
    # typed values the engine found itself (Textract SummaryFields): [bt, text, confidence, box]
    hints: list[list[Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "width": self.width, "height": self.height, "source": self.source,
                "rotation": round(self.rotation, 2), "hints": self.hints,
                "words": [[w.text, round(w.conf, 3), [round(c, 5) for c in w.box]] for w in self.words]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Page":
        number = int(data["number"])
        words = [Word(str(t), float(c), number, (float(b[0]), float(b[1]), float(b[2]), float(b[3])))
                 for t, c, b in data.get("words", [])]
        page = cls(number, float(data.get("width", 0)), float(data.get("height", 0)), words,
                   source=str(data.get("source", "text")), rotation=float(data.get("rotation", 0.0)))
        page.hints = [list(h) for h in data.get("hints", [])]
        page.rows = build_lines(words)
        return page


def _median(values: list[float]) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[len(s) // 2]


_RULE_CHARS = "|[]{}_—―│¦"  # what a reader makes of a table rule or a frame


def _strip_rules(words: list[Word]) -> tuple[list[Word], list[Word]]:
    """(words, rules): a word made only of rule characters ("|", "[", "_") is a table rule read as
    text; bars glued to a word ("6435,00€|") are dropped from it. Rules split segments."""
    kept, rules = [], []
    for w in words:
        text = w.text.strip()
        if not text:
            continue
        if all(ch in _RULE_CHARS for ch in text):
            rules.append(w)
            continue
        stripped = text.strip("|[]{}│¦")
        if stripped != text and stripped:
            w = Word(stripped, w.conf, w.page, w.box)
        kept.append(w)
    return kept, rules


def build_lines(words: list[Word]) -> list[Row]:
    """Rows by vertical overlap, words sorted left to right, segments split at wide gaps and at rules."""
    ws, rules = _strip_rules(words)
    if not ws:
        return []
    ws.sort(key=lambda w: (w.yc, w.box[0]))
    rows: list[list[Word]] = []
    extents: list[tuple[float, float]] = []
    for w in ws:
        placed = False
        # look at the last few rows only (rows are built top-down)
        for i in range(len(rows) - 1, max(-1, len(rows) - 4), -1):
            top, bottom = extents[i]
            h = min(bottom - top, w.height)
            overlap = min(bottom, w.box[3]) - max(top, w.box[1])
            if overlap >= 0.5 * h and abs(w.yc - (top + bottom) / 2) <= 0.6 * max(bottom - top, w.height):
                rows[i].append(w)
                extents[i] = (min(top, w.box[1]), max(bottom, w.box[3])) if len(rows[i]) < 3 else extents[i]
                placed = True
                break
        if not placed:
            rows.append([w])
            extents.append((w.box[1], w.box[3]))
    out: list[Row] = []
    for words_ in rows:
        words_.sort(key=lambda w: w.box[0])
        row = Row(words_, index=len(out))
        h = _median([w.height for w in words_])
        gap_limit = max(0.9 * h, 0.01)
        top, bottom = row.box[1], row.box[3]
        bars = [r.xc for r in rules if r.box[1] < bottom and r.box[3] > top]
        seg: list[Word] = [words_[0]]
        for prev, cur in zip(words_, words_[1:], strict=False):
            if cur.box[0] - prev.box[2] > gap_limit or any(prev.box[2] <= x <= cur.box[0] for x in bars):
                row.segments.append(Segment(seg, row.index, len(row.segments)))
                seg = []
            seg.append(cur)
        row.segments.append(Segment(seg, row.index, len(row.segments)))
        out.append(row)
    out.sort(key=lambda r: r.box[1])
    for i, r in enumerate(out):
        r.index = i
        for s in r.segments:
            s.row = i
    return out
