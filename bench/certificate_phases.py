"""Where one certificate's time goes: the workshop's certificate rendered N times, with the
process time of each phase (median), to see what a faster certificate would have to cut.

  python bench/certificate_phases.py            # 50 renders after 10 to warm up
  python bench/certificate_phases.py -n 200

Phases: making the QR code (segno), the Jinja template, WeasyPrint's HTML parse, its render
(style, boxes, layout), its `write_pdf` (painting, font subsets, PDF/UA tags, serialising), and
the signed Open Badge. The sub-phases are timed by wrapping WeasyPrint's internal functions
for the run (they are not API): a WeasyPrint that renames them shows them as missing.
Process time, not wall time, so that a busy neighbour on a shared machine adds little.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import weasyprint  # noqa: E402
import weasyprint.document as wp_document  # noqa: E402
import weasyprint.pdf as wp_pdf  # noqa: E402
from certificates_bench import ISSUER, KID, _setup, _state  # noqa: E402
from weasyprint import HTML  # noqa: E402

from lmspack.certificates import pdf as certificate  # noqa: E402
from lmspack.certificates.badge import issue_badge  # noqa: E402
from lmspack.certificates.codes import new_code  # noqa: E402
from lmspack.certificates.rendering import PDF_OPTIONS, collect_after, pdf_template  # noqa: E402
from lmspack.certificates.snapshot import snapshot_for  # noqa: E402

times: dict[str, list[float]] = defaultdict(list)


@contextmanager
def timed(label: str) -> Iterator[None]:
    start = time.process_time()
    yield
    times[label].append(time.process_time() - start)


def wrap(owner: object, name: str, label: str) -> None:
    """Time every call of owner.name under `label` (skipped if this WeasyPrint lacks it)."""
    fn = getattr(owner, name, None)
    if fn is None:
        print(f"  ({label}: {owner.__name__}.{name} not in WeasyPrint {weasyprint.__version__})")
        return

    def timed_call(*args, **kwargs):
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            times[label].append(time.process_time() - start)

    setattr(owner, name, timed_call)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=50, help="renders to time (after 10 to warm up)")
    args = parser.parse_args()
    _setup()
    code = new_code()
    snap = snapshot_for(
        _state["course"],
        learner_name="Siobhán Ní Bhriain",
        completed_at=datetime(2026, 11, 1, tzinfo=UTC),
        score=90,
        code=code,
        verify_url=f"https://cpd.example-council.gov.uk/verify/{code}",
        issued_at=datetime.now(UTC),
        live_session_date=date(2026, 12, 3),
    )
    template = pdf_template(None, certificate.TEMPLATE, certificate.STYLESHEET)
    wrap(wp_document, "get_all_computed_styles", "  render: style (cascade)")
    wrap(wp_document, "build_formatting_structure", "  render: boxes")
    wrap(wp_document.Page, "paint", "  write: painting")
    wrap(wp_pdf, "build_fonts_dictionary", "  write: font subsets")
    wrap(wp_pdf, "add_tags", "  write: PDF/UA tags")
    for i in range(args.n + 10):
        if i == 10:
            times.clear()
        with timed("QR code (segno)"):
            qr = certificate.qr_code(snap.verify_url).png_data_uri(scale=4, border=4)
        with timed("Jinja template"):
            source = template.html({"s": snap, "qr": qr, "density": ""})
        with collect_after():
            with timed("HTML parse"):
                html = HTML(string=source, base_url=template.base_url, url_fetcher=template.fetcher)
            with timed("WeasyPrint render"):
                doc = html.render(
                    font_config=template.font_config,
                    stylesheets=template.stylesheets,
                    **PDF_OPTIONS,
                )
            with timed("WeasyPrint write_pdf"):
                doc.write_pdf(**PDF_OPTIONS)
        with timed("Open Badge (RS256)"):
            issue_badge(snap, ISSUER, _state["pem"], KID)
    total = sum(statistics.median(v) for k, v in times.items() if not k.startswith(" "))
    print(f"WeasyPrint {weasyprint.__version__}, {args.n} renders, median process time:")
    parents = [k for k in times if not k.startswith(" ")]
    for label in parents:  # each phase, then what it is made of
        subs = {"WeasyPrint render": "  render:", "WeasyPrint write_pdf": "  write:"}.get(label)
        for key in [label, *(k for k in times if subs and k.startswith(subs))]:
            print(f"  {key:<28} {statistics.median(times[key]) * 1000:6.1f} ms")
    print(f"  {'sum of the phases':<28} {total * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
