"""imsmanifest.xml for SCORM 1.2 (ADL SCORM 1.2, IMS CP 1.1.2)."""

from __future__ import annotations

from lxml import etree

from ..course.model import Course
from .manifest import XSI, Standard, element
from .manifest import manifest as cp_manifest

CP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
SCORM12 = Standard(
    cp=CP,
    adlcp=ADLCP,
    nsmap={None: CP, "adlcp": ADLCP, "xsi": XSI},
    schema_location=(
        f"{CP} imscp_rootv1p1p2.xsd "
        "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd "
        f"{ADLCP} adlcp_rootv1p2.xsd"
    ),
    schemaversion="1.2",
    scormtype_attr="scormtype",
)


def manifest(course: Course, files: list[str]) -> bytes:
    def extras(item: etree._Element) -> None:
        element(item, f"{{{ADLCP}}}masteryscore", str(course.pass_mark))

    return cp_manifest(SCORM12, course, files, extras)
