"""What both SCORM manifests share: the IMS CP skeleton, lxml helpers, serialisation.

Moodle reads the manifest without namespace processing, taking prefixes literally, so
the IMS CP elements stay unprefixed and the extension prefixes are exactly adlcp, imsss,
adlseq and adlnav.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from ..course.model import Course

XSI = "http://www.w3.org/2001/XMLSchema-instance"


def element(
    parent: etree._Element | None, tag: str, text: str | None = None, **attrs: str
) -> etree._Element:
    el = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
    for key, value in attrs.items():
        el.set(key, value)
    if text is not None:
        el.text = text
    return el


@dataclass(frozen=True)
class Standard:
    """How one SCORM version spells the parts every manifest has."""

    cp: str  # the IMS content packaging namespace (unprefixed)
    adlcp: str
    nsmap: dict[str | None, str]
    schema_location: str
    schemaversion: str
    scormtype_attr: str  # "scormtype" in 1.2, "scormType" in 2004


def manifest(
    std: Standard,
    course: Course,
    files: list[str],
    item_extras: Callable[[etree._Element], None],
) -> bytes:
    """One organization, one item, one SCO resource listing every file of the site."""
    cp = std.cp
    root = etree.Element(f"{{{cp}}}manifest", nsmap=std.nsmap)
    # An xsd:ID: must not start with a digit and may not contain '+'.
    root.set("identifier", "MANIFEST-" + f"{course.id}-{course.version}".replace("+", "-"))
    root.set("version", course.version)
    root.set(f"{{{XSI}}}schemaLocation", std.schema_location)
    metadata = element(root, f"{{{cp}}}metadata")
    element(metadata, f"{{{cp}}}schema", "ADL SCORM")
    element(metadata, f"{{{cp}}}schemaversion", std.schemaversion)
    orgs = element(root, f"{{{cp}}}organizations", default="ORG-1")
    org = element(orgs, f"{{{cp}}}organization", identifier="ORG-1")
    element(org, f"{{{cp}}}title", course.title)
    item = element(
        org, f"{{{cp}}}item", identifier="ITEM-1", identifierref="RES-1", isvisible="true"
    )
    element(item, f"{{{cp}}}title", course.title)
    item_extras(item)
    resources = element(root, f"{{{cp}}}resources")
    res = element(
        resources, f"{{{cp}}}resource", identifier="RES-1", type="webcontent", href="index.html"
    )
    res.set(f"{{{std.adlcp}}}{std.scormtype_attr}", "sco")
    for path in files:
        element(res, f"{{{cp}}}file", href=path)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
