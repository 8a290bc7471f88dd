"""What both SCORM manifests share: namespaces, the lxml helpers, serialisation.

Moodle reads the manifest without namespace processing, taking prefixes literally, so
the IMS CP elements stay unprefixed and the extension prefixes are exactly adlcp, imsss,
adlseq and adlnav.
"""

from __future__ import annotations

from lxml import etree

XSI = "http://www.w3.org/2001/XMLSchema-instance"


def element(
    parent: etree._Element | None, tag: str, text: str | None = None, **attrs: str
) -> etree._Element:
    el = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
    for key, value in attrs.items():
        el.set(key.rstrip("_").replace("__", ":"), value)
    if text is not None:
        el.text = text
    return el


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def manifest_identifier(course_id: str, version: str) -> str:
    """An xsd:ID: must not start with a digit and may not contain '+'."""
    return "MANIFEST-" + f"{course_id}-{version}".replace("+", "-")
