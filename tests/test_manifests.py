"""Every built manifest validates against the official schemas, with the network refused,
and carries what Moodle's namespace-blind importer reads literally."""

from __future__ import annotations

import io
import re
import socket
import zipfile
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from lmspack.build import build_packages
from lmspack.course import load_course

from .conftest import COURSE, SCAFFOLD


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access refused in manifest tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module", params=[SCAFFOLD, COURSE], ids=["example", "workshop"])
def packages(request: pytest.FixtureRequest) -> dict[str, bytes]:
    course = load_course(request.param)
    return {
        fmt: data for fmt, (data, _, _) in build_packages(course, ["scorm12", "scorm2004"]).items()
    }


def manifest_of(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist()[0] == "imsmanifest.xml"
        return zf.read("imsmanifest.xml")


@pytest.fixture(scope="module")
def lxml_schemas(schemas_dir: Path) -> dict[str, etree.XMLSchema]:
    base = schemas_dir
    parser = etree.XMLParser(no_network=True)
    return {
        "scorm12": etree.XMLSchema(etree.parse(str(base / "scorm12_lxml.xsd"), parser)),
        "scorm2004": etree.XMLSchema(etree.parse(str(base / "scorm2004_4th_all.xsd"), parser)),
    }


@pytest.mark.parametrize("fmt", ["scorm12", "scorm2004"])
def test_manifest_valid_with_lxml(packages: dict[str, bytes], lxml_schemas, fmt: str) -> None:
    doc = etree.fromstring(manifest_of(packages[fmt]), etree.XMLParser(no_network=True))
    schema = lxml_schemas[fmt]
    assert schema.validate(doc), schema.error_log


@pytest.mark.parametrize(
    ("fmt", "wrapper", "cls"),
    [
        ("scorm12", "scorm12_all.xsd", xmlschema.XMLSchema11),
        ("scorm2004", "scorm2004_4th_all.xsd", xmlschema.XMLSchema10),
        ("scorm2004", "scorm2004_4th_all.xsd", xmlschema.XMLSchema11),
    ],
)
def test_manifest_valid_with_xmlschema(
    packages: dict[str, bytes], schemas_dir: Path, fmt: str, wrapper: str, cls: type
) -> None:
    schema = cls(str(schemas_dir / wrapper), allow="local")
    errors = list(schema.iter_errors(manifest_of(packages[fmt]).decode("utf-8")))
    assert not errors, errors[0]


BREAKS = {
    # (format, what is broken): (text in the real manifest, its broken replacement)
    ("scorm12", "imscp"): ('<organization identifier="ORG-1">', "<organization>"),
    ("scorm12", "adlcp"): ('adlcp:scormtype="sco"', 'adlcp:scormtype="page"'),
    ("scorm2004", "imscp"): ('<organization identifier="ORG-1">', "<organization>"),
    ("scorm2004", "adlcp"): ('adlcp:scormType="sco"', 'adlcp:scormType="page"'),
    ("scorm2004", "imsss"): ('satisfiedByMeasure="true"', 'satisfiedByMeasure="yes"'),
    ("scorm2004", "imsss-order"): ("<imsss:objectives>", "<imsss:objectives><imsss:bogus/>"),
}
VALIDATORS = {
    "scorm12": ["lxml", "xmlschema11"],
    "scorm2004": ["lxml", "xmlschema10", "xmlschema11"],
}
WRAPPERS = {"scorm12": "scorm12_all.xsd", "scorm2004": "scorm2004_4th_all.xsd"}


@pytest.mark.parametrize(
    ("fmt", "part", "validator"),
    [(f, p, v) for (f, p) in BREAKS for v in VALIDATORS[f]],
)
def test_a_broken_manifest_is_caught(
    packages, lxml_schemas, schemas_dir: Path, fmt: str, part: str, validator: str
) -> None:
    """The validation above can fail, in the core CP schema and in each extension namespace
    (so those schemas are really loaded, not skipped by a lax wildcard)."""
    good, bad = BREAKS[(fmt, part)]
    text = manifest_of(packages[fmt]).decode("utf-8")
    assert good in text
    broken = text.replace(good, bad, 1)
    if validator == "lxml":
        doc = etree.fromstring(broken.encode(), etree.XMLParser(no_network=True))
        assert not lxml_schemas[fmt].validate(doc)
    else:
        cls = xmlschema.XMLSchema10 if validator == "xmlschema10" else xmlschema.XMLSchema11
        schema = cls(str(schemas_dir / WRAPPERS[fmt]), allow="local")
        assert list(schema.iter_errors(broken))


def test_moodle_literal_reading_scorm12(packages: dict[str, bytes]) -> None:
    text = manifest_of(packages["scorm12"]).decode()
    assert "<schemaversion>1.2</schemaversion>" in text
    assert 'adlcp:scormtype="sco"' in text
    assert re.search(r"<adlcp:masteryscore>\d+</adlcp:masteryscore>", text)
    assert "<manifest " in text and "<organizations " in text and "<resource " in text
    assert not re.search(r"</?(?!adlcp:)[a-z]+:(?!schemaLocation)", text.split("?>", 1)[1]), (
        "CP elements must be unprefixed"
    )


def test_moodle_literal_reading_scorm2004(packages: dict[str, bytes]) -> None:
    text = manifest_of(packages["scorm2004"]).decode()
    assert "<schemaversion>2004 4th Edition</schemaversion>" in text
    assert 'adlcp:scormType="sco"' in text
    prefixes = set(re.findall(r"</?([a-zA-Z]+):", text))
    assert prefixes <= {"adlcp", "imsss", "adlseq", "adlnav"}, prefixes
    doc = etree.fromstring(text.encode())
    ids = [
        el.get("objectiveID") for el in doc.iter("{http://www.imsglobal.org/xsd/imsss}objective")
    ]
    assert ids and all(re.fullmatch(r"[A-Za-z0-9_.-]+", i) for i in ids)


def test_every_site_file_is_listed(packages: dict[str, bytes]) -> None:
    for data in packages.values():
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist()) - {"imsmanifest.xml"}
            listed = set(re.findall(r'<file href="([^"]+)"', zf.read("imsmanifest.xml").decode()))
        assert names == listed
