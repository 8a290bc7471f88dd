"""imsmanifest.xml for SCORM 2004 4th Edition, one imsss:objective per learning outcome."""

from __future__ import annotations

from lxml import etree

from ..course.model import Course
from .manifest import XSI, Standard, element
from .manifest import manifest as cp_manifest

CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
ADLCP = "http://www.adlnet.org/xsd/adlcp_v1p3"
ADLSEQ = "http://www.adlnet.org/xsd/adlseq_v1p3"
ADLNAV = "http://www.adlnet.org/xsd/adlnav_v1p3"
IMSSS = "http://www.imsglobal.org/xsd/imsss"
SCORM2004 = Standard(
    cp=CP,
    adlcp=ADLCP,
    nsmap={
        None: CP,
        "adlcp": ADLCP,
        "adlseq": ADLSEQ,
        "adlnav": ADLNAV,
        "imsss": IMSSS,
        "xsi": XSI,
    },
    schema_location=(
        f"{CP} imscp_v1p1.xsd {ADLCP} adlcp_v1p3.xsd {ADLSEQ} adlseq_v1p3.xsd "
        f"{ADLNAV} adlnav_v1p3.xsd {IMSSS} imsss_v1p0.xsd"
    ),
    schemaversion="2004 4th Edition",
    scormtype_attr="scormType",
)
PRIMARY_OBJECTIVE = "course_passed"


def manifest(course: Course, files: list[str]) -> bytes:
    def ss(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
        return element(parent, f"{{{IMSSS}}}{tag}", text, **attrs)

    def extras(item: etree._Element) -> None:
        sequencing = ss(item, "sequencing")
        objectives = ss(sequencing, "objectives")
        # The primary objective is the quiz: satisfied when the scaled score reaches the pass mark.
        primary = ss(
            objectives, "primaryObjective", objectiveID=PRIMARY_OBJECTIVE, satisfiedByMeasure="true"
        )
        ss(primary, "minNormalizedMeasure", f"{course.pass_mark / 100:.2f}")
        for outcome in course.outcomes:
            ss(objectives, "objective", objectiveID=outcome.id)
        ss(
            sequencing,
            "deliveryControls",
            completionSetByContent="true",
            objectiveSetByContent="true",
        )

    return cp_manifest(SCORM2004, course, files, extras)
