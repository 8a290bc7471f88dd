"""The YAML reader under every course file: YAML 1.2 booleans, line numbers kept on every
mapping, key and list item, duplicate keys refused with their line; with libyaml's parser
(what PyYAML's wheels carry) and with the pure-Python one it falls back to."""

from __future__ import annotations

import pytest
import yaml

from lmspack.course import yamlsrc
from tests.conftest import require

SOURCE = """\
title: Course
flags:
  feedback: No
  yes_word: yes
  on_word: on
  real: true
  count: 3
items:
  - first
  - second: 2
    third: 3
"""


@pytest.fixture(params=["libyaml", "python"])
def loader(request, monkeypatch):
    if request.param == "libyaml":
        require(yaml.__with_libyaml__, "PyYAML was built without libyaml")
        assert issubclass(yamlsrc._Loader, yaml.CSafeLoader)
        return yamlsrc.load_yaml

    class PurePython(yaml.SafeLoader):
        yaml_implicit_resolvers = yamlsrc._Loader.yaml_implicit_resolvers
        yaml_constructors = yamlsrc._Loader.yaml_constructors

    return lambda text: yaml.load(text, Loader=PurePython)  # noqa: S506 - SafeLoader subclass


def test_only_true_and_false_are_booleans(loader) -> None:
    flags = loader(SOURCE)["flags"]
    assert flags == {
        "feedback": "No", "yes_word": "yes", "on_word": "on", "real": True, "count": 3
    }  # fmt: skip


def test_lines_of_mappings_keys_and_items(loader) -> None:
    data = loader(SOURCE)
    assert yamlsrc.line_of(data, "title") == 1
    assert yamlsrc.line_of(data["flags"]) == 3
    assert yamlsrc.line_of(data["flags"], "real") == 6
    assert data["items"].item_lines == [9, 10]
    assert yamlsrc.line_of(data["items"][1], "third") == 11


def test_a_duplicate_key_is_refused_with_its_line(loader) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as err:
        loader("a: 1\nb: 2\na: 3\n")
    assert "duplicate key 'a'" in str(err.value)
    assert err.value.problem_mark.line + 1 == 3


def test_a_syntax_error_names_its_line(loader) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as err:
        loader("a: 1\nb: [\n")
    assert err.value.problem_mark.line + 1 == 3
