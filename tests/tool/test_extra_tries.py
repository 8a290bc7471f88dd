"""A teacher allows a learner who used every quiz try another one, through real launches on
SQLite and PostgreSQL: refused before, allowed after `lmspack attempts grant`, the key still
kept back until the extra try is finished, and the player cannot grant itself tries."""

from __future__ import annotations

from click.testing import CliRunner

from lmspack.cli import main

from .api_client import choice
from .test_quiz_review import QUESTIONS, answer, launch


def use_every_try(api, tries: int) -> dict:
    for n in range(1, tries + 1):
        for q in QUESTIONS:
            last = answer(api, None, q, [q.options[0].id])
        assert last["quiz"]["try"] == n and last["quiz"]["passed"] is False
        if n < tries:
            assert api.post("/quiz/retake", {}).status_code == 200
    return last["quiz"]


def grant(database_url, folder, user: str, *extra: str):
    return CliRunner().invoke(
        main,
        [
            "attempts", "grant", "--context", f"ctx-{user}", "--user", user,
            "--course", str(folder), "--database-url", database_url, *extra,
        ],
    )


def test_a_teacher_allows_another_try(tool, platform, variant, tmp_path, database_url):
    course_id = variant("rv-grant", "reveal: after-last-attempt\nattempts: 2\n")
    api, _ = launch(tool, platform, "granted", course_id)
    quiz = use_every_try(api, 2)
    assert (quiz["attempts"], quiz["triesLeft"], quiz["canRetake"]) == (2, 0, False)
    assert quiz["revealed"] is True  # the last try is over: the key is shown
    refused = api.post("/quiz/retake", {})
    assert refused.status_code == 403 and "all 2 attempts" in refused.json()["error"]

    # the player may not write the server's count of tries
    r = api.put("/attempt/state", {"extraTries": 5})
    assert r.status_code == 400 and "extraTries" in r.json()["error"]

    r = grant(database_url, tmp_path / course_id, "granted", "--by", "L&D team")
    assert r.exit_code == 0, r.output
    assert "granted: 2 of 3 tries used" in r.output
    assert "showed this learner the answers" in r.output
    quiz = api.get("/quiz").json()
    assert (quiz["attempts"], quiz["triesLeft"], quiz["canRetake"]) == (3, 1, True)
    assert quiz["revealed"] is False  # hidden again until the new last try is finished
    r = api.post("/quiz/retake", {})
    assert r.status_code == 200 and r.json()["try"] == 3 and r.json()["canRetake"] is False
    first = answer(api, None, QUESTIONS[0], choice(QUESTIONS[0], False))
    assert "correctResponse" not in first
    for q in QUESTIONS[1:]:
        last = answer(api, None, q, choice(q, True))
    assert last["quiz"]["passed"] is True and last["quiz"]["revealed"] is True


def test_a_grant_is_refused_where_there_is_nothing_to_allow(
    tool, platform, variant, tmp_path, database_url
):
    course_id = variant("rv-nolimit", "reveal: after-pass\n")
    api, _ = launch(tool, platform, "unlimited", course_id)
    answer(api, None, QUESTIONS[0], choice(QUESTIONS[0], True))
    r = grant(database_url, tmp_path / course_id, "unlimited")
    assert r.exit_code == 1 and "no limit on tries" in r.output
    r = grant(database_url, tmp_path / course_id, "nobody")
    assert r.exit_code == 1 and "No context 'ctx-nobody'" in r.output
    r = grant(database_url, tmp_path / course_id, "unlimited", "--tries", "0")
    assert r.exit_code == 1 and "between 1 and 20" in r.output
