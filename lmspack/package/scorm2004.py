"""imsmanifest.xml for SCORM 2004 4th Edition, one imsss:objective per learning outcome."""

from __future__ import annotations

from lxml import etree

from ..course.model import Course
from .manifest import XSI, element, manifest_identifier, serialise

CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
ADLCP = "http://www.adlnet.org/xsd/adlcp_v1p3"
ADLSEQ = "http://www.adlnet.org/xsd/adlseq_v1p3"
ADLNAV = "http://www.adlnet.org/xsd/adlnav_v1p3"
IMSSS = "http://www.imsglobal.org/xsd/imsss"
SCHEMA_LOCATION = (
    f"{CP} imscp_v1p1.xsd {ADLCP} adlcp_v1p3.xsd {ADLSEQ} adlseq_v1p3.xsd "
    f"{ADLNAV} adlnav_v1p3.xsd {IMSSS} imsss_v1p0.xsd"
)
PRIMARY_OBJECTIVE = "course_passed"


def manifest(course: Course, files: list[str]) -> bytes:
    nsmap = {
        None: CP,
        "adlcp": ADLCP,
        "adlseq": ADLSEQ,
        "adlnav": ADLNAV,
        "imsss": IMSSS,
        "xsi": XSI,
    }
    root = etree.Element(f"{{{CP}}}manifest", nsmap=nsmap)
    root.set("identifier", manifest_identifier(course.id, course.version))
    root.set("version", course.version)
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)

    def cp(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
        return element(parent, f"{{{CP}}}{tag}", text, **attrs)

    def ss(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
        return element(parent, f"{{{IMSSS}}}{tag}", text, **attrs)

    metadata = cp(root, "metadata")
    cp(metadata, "schema", "ADL SCORM")
    cp(metadata, "schemaversion", "2004 4th Edition")
    orgs = cp(root, "organizations", default="ORG-1")
    org = cp(orgs, "organization", identifier="ORG-1")
    cp(org, "title", course.title)
    item = cp(org, "item", identifier="ITEM-1", identifierref="RES-1", isvisible="true")
    cp(item, "title", course.title)
    sequencing = ss(item, "sequencing")
    objectives = ss(sequencing, "objectives")
    # The primary objective is the quiz: satisfied when the scaled score reaches the pass mark.
    primary = ss(
        objectives, "primaryObjective", objectiveID=PRIMARY_OBJECTIVE, satisfiedByMeasure="true"
    )
    ss(primary, "minNormalizedMeasure", f"{course.pass_mark / 100:.2f}")
    for outcome in course.outcomes:
        ss(objectives, "objective", objectiveID=outcome.id)
    ss(sequencing, "deliveryControls", completionSetByContent="true", objectiveSetByContent="true")
    resources = cp(root, "resources")
    res = cp(resources, "resource", identifier="RES-1", type="webcontent", href="index.html")
    res.set(f"{{{ADLCP}}}scormType", "sco")
    for path in files:
        cp(res, "file", href=path)
    return serialise(root)
