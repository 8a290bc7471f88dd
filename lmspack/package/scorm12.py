"""imsmanifest.xml for SCORM 1.2 (ADL SCORM 1.2, IMS CP 1.1.2)."""

from __future__ import annotations

from lxml import etree

from ..course.model import Course
from .manifest import XSI, element, manifest_identifier, serialise

CP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
SCHEMA_LOCATION = (
    f"{CP} imscp_rootv1p1p2.xsd "
    "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd "
    f"{ADLCP} adlcp_rootv1p2.xsd"
)


def manifest(course: Course, files: list[str]) -> bytes:
    nsmap = {None: CP, "adlcp": ADLCP, "xsi": XSI}
    root = etree.Element(f"{{{CP}}}manifest", nsmap=nsmap)
    root.set("identifier", manifest_identifier(course.id, course.version))
    root.set("version", course.version)
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)

    def cp(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
        return element(parent, f"{{{CP}}}{tag}", text, **attrs)

    metadata = cp(root, "metadata")
    cp(metadata, "schema", "ADL SCORM")
    cp(metadata, "schemaversion", "1.2")
    orgs = cp(root, "organizations", default="ORG-1")
    org = cp(orgs, "organization", identifier="ORG-1")
    cp(org, "title", course.title)
    item = cp(org, "item", identifier="ITEM-1", identifierref="RES-1", isvisible="true")
    cp(item, "title", course.title)
    element(item, f"{{{ADLCP}}}masteryscore", str(course.pass_mark))
    resources = cp(root, "resources")
    res = cp(resources, "resource", identifier="RES-1", type="webcontent", href="index.html")
    res.set(f"{{{ADLCP}}}scormtype", "sco")
    for path in files:
        cp(res, "file", href=path)
    return serialise(root)
