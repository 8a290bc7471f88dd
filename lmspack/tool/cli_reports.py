"""`lmspack report completions|outcomes|evaluation|sessions --context ID [--platform ISSUER]
[--format csv|json] [--course DIR] [--base-url URL]` (added by cli.register): a report of one
context, as the admin pages show it (`sessions`: the live sessions report), as CSV (UTF-8
with BOM) or JSON. --context and --platform name the context as the certificates commands
do (cli_common.find_context).
"""

from __future__ import annotations

import json
import sys

import click

from ..printable import clean  # stored text may predate the API's check
from .cli_common import (
    context_option,
    db_option,
    find_context,
    load_config,
    open_store,
    platform_option,
    served_course,
)


@click.command("report")
@click.argument("kind", type=click.Choice(["completions", "outcomes", "evaluation", "sessions"]))
@context_option
@platform_option
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--course", "course_dir", default=None, help="Course folder (default $LMSPACK_COURSE)."
)
@click.option("--base-url", default=None, help="For certificate links (default LMSPACK_BASE_URL).")
@db_option
def report_cmd(kind, context_id, issuer, fmt, course_dir, base_url, database_url) -> None:
    """Print a report of one context as CSV (UTF-8 with BOM) or JSON."""
    from ..certificates.issue import verify_url
    from ..reports import data, summaries
    from ..reports.csv import csv_chunks
    from ..reports.workshop import workshop_csv
    from ..reports.workshop_data import workshop_report

    course = served_course(course_dir)

    url = (base_url or load_config().base_url or "").rstrip("/")
    store = open_store(database_url)
    with store.read_sessions() as s:
        ctx, platform = find_context(s, context_id, issuer)
        if kind == "completions":
            rep = data.completion(
                s,
                platform.id,
                ctx.id,
                course,
                certificate_url=(lambda code: verify_url(url, code)) if url else None,
            )
            rows = list(rep.completion_rows())
            result, csv_parts = rows, summaries.completion_csv(rows, rep.outcome_ids)
        elif kind == "outcomes":
            o, q = data.analysis(s, platform.id, ctx.id, course)
            result, csv_parts = {"outcomes": o, "questions": q}, summaries.analysis_csv(o, q)
        elif kind == "sessions":
            w = workshop_report(s, platform.id, ctx.id, course)
            result, csv_parts = w, workshop_csv(w)
        else:
            e = data.evaluation(s, platform.id, ctx.id, course)
            result, csv_parts = e, summaries.evaluation_csv(e)
        if fmt == "json":
            click.echo(
                clean(json.dumps(summaries.to_jsonable(result), indent=2, ensure_ascii=False))
            )
            return
        out = sys.stdout.buffer
        for chunk in csv_chunks(*csv_parts):
            out.write(chunk.encode("utf-8"))
        out.flush()
