"""The element builder shared by the CII and UBL writers (lxml, lazy import)."""

from __future__ import annotations

from typing import Any


class XmlBuilder:
    """``sub(parent, "ram:Name", text, attr=value)``: prefixed tags resolved once per tag name.

    Attributes whose value is ``None`` are left out; ``opt`` writes nothing for ``None`` or "".
    """

    def __init__(self, namespaces: dict[str, str]) -> None:
        from lxml import etree  # lazy: keeps module import cheap for cold starts

        self._subelement = etree.SubElement
        self._ns = namespaces
        self._clark: dict[str, str] = {}

    def sub(self, parent: Any, tag: str, text: str | None = None, **attrs: str | None) -> Any:
        clark = self._clark.get(tag)
        if clark is None:
            prefix, local = tag.split(":")
            clark = self._clark[tag] = f"{{{self._ns[prefix]}}}{local}"
        el = self._subelement(parent, clark)
        if attrs:
            for k, v in attrs.items():
                if v is not None:
                    el.set(k, v)
        if text is not None:
            el.text = text
        return el

    def opt(self, parent: Any, tag: str, text: str | None, **attrs: str | None) -> Any:
        if text is None or text == "":
            return None
        return self.sub(parent, tag, text, **attrs)
