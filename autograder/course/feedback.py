"""HTML feedback: a page per graded student, and a cohort page for the instructor.

Both read the records the cohort grader stores (one per student: the
student, the assignment, the mode, and the report as a dict). Almost every
string in them can be steered by a student: messages quote their output,
their notebook's outputs are theirs, and so is the folder name that became
their student id. Every such value is therefore passed through ``_e``, and
each page also carries a Content-Security-Policy that forbids scripts, so a
value that slipped through still could not run.

The pages are single files with no external resources (styles inline,
images as data: URIs): they are mailed, uploaded to an LMS, or opened from
disk, where relative links to assets break.
"""

from __future__ import annotations

import base64
import html
import io
import math
import statistics
from collections import Counter
from urllib.parse import quote

from autograder import i18n
from autograder.course import items as item_analysis
from autograder.i18n import N_, _

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PLOTS = 20  # a loop of plt.show() must not make a 500-image page
MAX_PLOT_BYTES = 2 * 1024 * 1024
STATUSES = ("passed", "failed", "error", "timeout")
LOW_PASS_RATE = 0.5  # exercises at or below it are highlighted on the cohort page
# A test's status as a page shows it, translated there: _(STATUS_WORDS[status]).
STATUS_WORDS = {"passed": N_("passed"), "failed": N_("failed"), "error": N_("error"), "timeout": N_("timeout")}

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
CSS = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1rem; margin-bottom: .3rem; }
table { border-collapse: collapse; margin: .5rem 0; display: block; max-width: 100%; overflow-x: auto; }
img { max-width: 100%; height: auto; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .7rem; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f5f5f5; padding: .5rem .7rem; white-space: pre-wrap; overflow-wrap: anywhere; margin: .2rem 0; }
.passed { color: #17692b; } .failed, .error, .timeout, .other { color: #a4161a; }
tr.low td { background: #fde8e8; }
.box { border-left: 4px solid #a4161a; background: #fdf0f0; padding: .5rem .8rem; }
.meta { color: #666; }
.meter { position: relative; height: 14px; background: #eee; max-width: 30rem; margin: .3rem 0 1rem; }
.meter .fill { position: absolute; left: 0; top: 0; bottom: 0; background: #5b8def; }
.meter .mark { position: absolute; top: -3px; bottom: -3px; border-left: 2px solid #222; }
.meter .mark.tier { border-left: 1px dashed #777; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #666; font-size: .9rem; }
"""


def plots(notebook) -> list[tuple[int, bytes]]:
    """The PNG images ``notebook``'s code cells produced, as (cell index from 0, PNG bytes).

    The notebook is student-controlled, so only data that decodes to a real PNG of at
    most MAX_PLOT_BYTES is kept, and only the first MAX_PLOTS of those.
    """
    found: list[tuple[int, bytes]] = []
    if not isinstance(notebook, dict):
        return found
    for index, cell in enumerate(notebook.get("cells") or []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs") or []:
            png = _png(output)
            if png is not None:
                found.append((index, png))
                if len(found) == MAX_PLOTS:
                    return found
    return found


def _png(output) -> bytes | None:
    if not isinstance(output, dict) or output.get("output_type") not in ("display_data", "execute_result"):
        return None
    data = output.get("data")
    encoded = data.get("image/png") if isinstance(data, dict) else None
    if isinstance(encoded, list) and all(isinstance(line, str) for line in encoded):
        encoded = "".join(encoded)  # the on-disk format may split strings into lines
    # base64 is 4/3 of the bytes plus line breaks: anything twice the limit is too big, undecoded.
    if not isinstance(encoded, str) or len(encoded) > 2 * MAX_PLOT_BYTES:
        return None
    try:
        png = base64.b64decode(encoded)  # not validate=True: it would refuse the line breaks
    except ValueError:  # binascii.Error (bad padding) and non-ASCII text
        return None
    return png if png.startswith(PNG_SIGNATURE) and len(png) <= MAX_PLOT_BYTES else None


def student_html(record: dict, notebook=None, language: str | None = None) -> str:
    """The student's feedback page: score per exercise, messages, training results, notes, plots.

    Only each test's ``output`` is shown: ``detail`` is the instructor's view and may
    hold hidden inputs. The page is in ``language`` (the graded report's, ``Report.language``);
    without it, in the language the record's report names, else in the current one.
    """
    if language is None:
        named = _report(record).get("language")
        language = named if named in i18n.LANGUAGES else None
    with i18n.using(language):
        return _student_html(record, notebook)


def _student_html(record: dict, notebook) -> str:
    report = _report(record)
    tests = _tests(report)
    score, max_score = _totals(report)
    student, assignment, mode = (_text(record.get(key)) for key in ("student", "assignment", "mode"))
    title = _("{student}: {assignment}, {score} / {max_score} points ({mode} mode)").format(
        student=student, assignment=assignment, score=_pts(score), max_score=_pts(max_score), mode=mode
    )
    body = [f"<h1>{_e(title)}</h1>"]
    if record.get("graded_at"):
        body.append('<p class="meta">' + _("Graded {when}.").format(when=_e(record["graded_at"])) + "</p>")
    if report.get("error") or not report:
        reason = report.get("error") or _("no grading report was stored for this submission")
        body.append(
            '<div class="box"><strong>'
            + _("This submission could not be graded.")
            + f"</strong><pre>{_e(reason)}</pre></div>"
        )

    if tests:
        body.append(
            _h2(_("Score per exercise"))
            + "<table><tr>"
            + _th(_("exercise"))
            + _th(_("points"), num=True)
            + _th(_("status"))
            + _th(_("cases passed"), num=True)
            + "</tr>"
        )
        for t in tests:
            body.append(
                f"<tr><td>{_e(t.get('function'))}</td>"
                f"<td class=num>{_pts(_num(t.get('score')))} / {_pts(_num(t.get('max_score')))}</td>"
                f"{_status_cell(t.get('status'))}<td class=num>{_cases(t)}</td></tr>"
            )
        body.append(
            "<tr>"
            + _th(_("total"))
            + f"<th class=num>{_pts(score)} / {_pts(max_score)}</th><th></th><th></th></tr></table>"
        )
        body.append(_h2(_("Messages")))
        for t in tests:
            body.append(
                f'<h3>{_e(t.get("function"))} <span class="{_status_class(t.get("status"))}">'
                f"({_e(_status_word(t.get('status')))})</span></h3>"
            )
            if t.get("output"):
                body.append(f"<pre>{_e(t['output'])}</pre>")
            if isinstance(t.get("figures"), dict):
                body.append(_training(t["figures"]))

    notes = [n for n in report.get("notes") or [] if n]
    if notes:
        body.append(_h2(_("Notes")) + "<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")

    images = plots(notebook)
    if images:
        explained = _(
            "Cells are counted from the top of the graded notebook, starting at 1, markdown cells included; "
            "at most {count} plots are shown."
        ).format(count=MAX_PLOTS)
        body.append(_h2(_("Your plots")) + f"<p class=meta>{explained}</p>")
        for index, png in images:
            alt = _e(_("plot from cell {number}").format(number=index + 1))
            caption = _("Cell {number}").format(number=index + 1)
            body.append(f'<figure><img src="{_data_uri(png)}" alt="{alt}"><figcaption>{caption}</figcaption></figure>')
    return _page(title, body)


def _training(figures: dict) -> str:
    """The accuracy reached against the target, as a sentence and a bar with the tiers marked."""
    accuracy, target = _num(figures.get("accuracy")), _num(figures.get("target"))
    split = _text(figures.get("split") or "test")
    tiers = [
        (floor, share)
        for floor, share in (
            tuple(map(_num, tier))
            for tier in figures.get("tiers") or []
            if isinstance(tier, (list, tuple)) and len(tier) == 2
        )
        if floor is not None and share is not None
    ]
    # One sentence per case, the mode a parenthesis at its end: the translator orders the words.
    mode = _(" ({mode} mode)").format(mode=_text(figures["mode"])) if figures.get("mode") else ""
    if accuracy is not None and target is not None:
        text = _("{accuracy:.4f} reached on the {split} split, target {target:.2f}{mode}.").format(
            accuracy=accuracy, split=split, target=target, mode=mode
        )
    elif accuracy is not None:
        text = _("{accuracy:.4f} reached on the {split} split{mode}.").format(accuracy=accuracy, split=split, mode=mode)
    elif target is not None:
        text = _("No accuracy was measured on the {split} split, target {target:.2f}{mode}.").format(
            split=split, target=target, mode=mode
        )
    else:
        text = _("No accuracy was measured on the {split} split{mode}.").format(split=split, mode=mode)
    if tiers:
        text += _(" Partial points: {tiers}.").format(
            tiers=_(", ").join(
                _("{share:.0%} from {floor:.2f}").format(share=share, floor=floor) for floor, share in tiers
            )
        )
    bar = ['<div class="meter">']
    if accuracy is not None:
        bar.append(f'<div class="fill" style="width:{_percent(accuracy)}"></div>')
    bar += [f'<div class="mark tier" style="left:{_percent(floor)}"></div>' for floor, _share in tiers]
    if target is not None:
        bar.append(f'<div class="mark" style="left:{_percent(target)}"></div>')
    bar.append("</div>")
    return f"<p>{_e(text)}</p>" + "".join(bar)


def cohort_html(records, assignment: str, link: str = "students/{}/feedback.html", language: str = "en") -> str:
    """The instructor's page for one assignment: statistics, a score histogram, exercises
    hardest first, and one row per student linking to their feedback page: ``link`` with the
    URL-quoted student id in place of ``{}``, relative to the cohort page (the default is the
    layout autograder.course.cohort writes). Its texts are in ``language`` (the charts' labels
    stay English: the charts' font may have no glyphs for another script).

    Records whose report has an ``error`` are listed as not gradable and left out of every
    statistic: a submission that never ran says nothing about which exercise was hard.
    """
    with i18n.using(language):
        return _cohort_html(records, assignment, link)


def _cohort_html(records, assignment: str, link: str) -> str:
    records = list(records)
    graded = [r for r in records if _gradable(r)]
    failed = [r for r in records if not _gradable(r)]
    scores = [_totals(_report(r))[0] for r in graded]
    max_scores = Counter(_totals(_report(r))[1] for r in graded)
    max_score = max_scores.most_common(1)[0][0] if max_scores else None
    modes = sorted({_text(r.get("mode")) for r in records})

    title = _("{assignment}: cohort report").format(assignment=assignment)
    if len(modes) == 1:
        counts = _("{graded} graded, {failed} not gradable; mode {modes}.")
    else:
        counts = _("{graded} graded, {failed} not gradable; modes {modes}.")
    body = [
        f"<h1>{_e(title)}</h1>",
        f"<p>{counts.format(graded=len(graded), failed=len(failed), modes=_e(', '.join(modes)))}</p>",
    ]
    if len(modes) > 1:
        mixed = _("The records mix grading modes, whose training targets differ: their scores are not comparable.")
        body.append(f'<p class="box">{mixed}</p>')
    if len(set(max_scores)) > 1:
        disagree = _("The records disagree on the maximum score ({scores}); the most common one is used.").format(
            scores=_e(", ".join(_pts(m) for m in sorted(max_scores)))
        )
        body.append(f'<p class="box">{disagree}</p>')
    counted = _(
        "Mean, median, histogram and pass rates count the {count} graded submissions only; those that could not "
        "be graded are listed below and left out."
    ).format(count=len(graded))
    body.append(f"<p class=meta>{counted}</p>")
    if scores:
        mean = _("Mean score {mean}, median {median}, out of {max_score}.").format(
            mean=f"<strong>{statistics.mean(scores):.2f}</strong>",
            median=f"<strong>{_pts(statistics.median(scores))}</strong>",
            max_score=_pts(max_score),
        )
        body.append(f"<p>{mean}</p>")
        alt = _e(_("histogram of the scores"))
        body.append(f'<img src="{_data_uri(_histogram(scores, max_score))}" alt="{alt}">')

    analysis = item_analysis.analyse(records, assignment)
    body += _reteach(analysis)

    if failed:
        body.append(_h2(_("Not gradable")) + "<table><tr>" + _th(_("student")) + _th(_("reason")) + "</tr>")
        for r in sorted(failed, key=_student):
            reason = _report(r).get("error") or _("no grading report was stored")
            body.append(f"<tr><td>{_e(_student(r))}</td><td><pre>{_e(reason)}</pre></td></tr>")
        body.append("</table>")

    rows = _exercise_stats(graded)
    if rows:
        explained = _(
            "Pass rate: the share of graded students whose test passed (full points). Rows at or under {rate:.0%} "
            "are highlighted."
        ).format(rate=LOW_PASS_RATE)
        body.append(_h2(_("Exercises, hardest first")) + f"<p class=meta>{explained}</p>")
        body.append(
            "<table><tr>"
            + _th(_("exercise"))
            + _th(_("grade cell"))
            + _th(_("pass rate"), num=True)
            + _th(_("mean points"), num=True)
            + _th(_("most common failure"))
            + "</tr>"
        )
        cases = {e.grade_id: e.cases for e in analysis.exercises}
        for s in rows:
            low = ' class="low"' if s["rate"] <= LOW_PASS_RATE else ""
            top = cases.get(s["grade_id"]) or []
            if top and top[0].case != item_analysis.NO_CASE:
                failure = _('"{label}": {words} ({count})').format(
                    label=_(top[0].label), words=top[0].words, count=top[0].count
                )
            else:
                failure = s["failures"].most_common(1)
                failure = f"{_status_word(failure[0][0])} ({failure[0][1]})" if failure else _("none")
            body.append(
                f"<tr{low}><td>{_e(s['function'])}</td><td>{_e(s['grade_id'])}</td>"
                f"<td class=num>{s['rate']:.0%} ({s['passed']}/{s['n']})</td>"
                f"<td class=num>{s['points'] / s['n']:.2f} / {_pts(s['max_score'])}</td>"
                f"<td>{_e(failure)}</td></tr>"
            )
        body.append("</table>")
        alt = _e(_("pass rate per exercise"))
        body.append(f'<img src="{_data_uri(_pass_rate_chart(rows))}" alt="{alt}">')
    body += _failing_cases(analysis)

    body.append(
        _h2(_("Students"))
        + "<table><tr>"
        + _th(_("student"))
        + _th(_("score"), num=True)
        + _th(_("max"), num=True)
        + _th(_("status"))
        + "</tr>"
    )
    for r in sorted(records, key=_student):
        ok = _gradable(r)
        score, most = _totals(_report(r))
        href = link.format(quote(_student(r), safe=""))
        state = _("graded") if ok else _("not gradable")
        body.append(
            f'<tr><td><a href="{_e(href)}">{_e(_student(r))}</a></td>'
            f"<td class=num>{_pts(score) if ok else '–'}</td><td class=num>{_pts(most)}</td>"
            f"<td>{state}</td></tr>"
        )
    body.append("</table>")
    return _page(title, body)


def _reteach(analysis) -> list[str]:
    """The top of the cohort page: the three mistakes most students made, with their cases and hint."""
    mistakes = analysis.reteach(3)
    if not mistakes:
        return []
    explained = _(
        "The mistakes most students made: an exercise and a kind of failure, counted once per student over all "
        "its cases. Unwritten exercises are not counted here."
    )
    out = [_h2(_("What to reteach")) + f"<p class=meta>{explained}</p><ol>"]
    for m in mistakes:
        cases = _e(_(", ").join(f"{_case_label(i)} ({i.count})" for i in m.cases[:4]))
        if len(m.cases) > 4:
            cases = _("(cases: {cases}, and {more} more)").format(cases=cases, more=len(m.cases) - 4)
        else:
            cases = _("(cases: {cases})").format(cases=cases)
        students = _("{mistake}, {count} of {graded} students").format(
            mistake=f"<strong>{_e(m.function)}: {_e(m.words)}</strong>", count=m.count, graded=analysis.graded
        )
        hint = _("Hint they got: {hint}").format(hint=_e(m.hint)) if m.hint else ""
        out.append(
            f"<li>{students} <span class=meta>{cases}</span>"
            + (f"<br><span class=meta>{hint}</span>" if m.hint else "")
            + "</li>"
        )
    out.append("</ol>")
    return out


def _case_label(item) -> str:
    # A case's label is an exercise's text, in the catalogue (as is items.py's label of no case).
    if item.case == item_analysis.NO_CASE:
        return _(item.label)
    if item.hidden:
        return _('"{label}" (hidden)').format(label=_(item.label))
    return _('"{label}"').format(label=_(item.label))


def _failing_cases(analysis) -> list[str]:
    """Per exercise, the failing cases ranked by the students who failed them, with the students (this
    page is the instructor's). Hidden cases appear by their label only: a record holds no input."""
    exercises = [e for e in analysis.exercises if e.cases]
    if not exercises:
        return []
    explained = _(
        "Each case that students failed, most failed first, with the kind of failure and the hint the grader "
        "gives for it. A student counts once per case and kind. Hidden cases show their label, never their "
        "input. Also in items.csv."
    )
    out = [_h2(_("Failing cases per exercise")) + f"<p class=meta>{explained}</p>"]
    for e in exercises:
        failed = _("({failed} of {graded} students failed it)").format(failed=len(e.failed), graded=e.graded)
        out.append(
            f"<h3>{_e(e.function)} <span class=meta>{failed}</span></h3>"
            + "<table><tr>"
            + _th(_("case"))
            + _th(_("failure"))
            + _th(_("students"), num=True)
            + _th(_("hint"))
            + _th(_("who"))
            + "</tr>"
        )
        for item in e.cases:
            out.append(
                f"<tr><td>{_e(_case_label(item))}</td><td>{_e(item.words)}</td>"
                f"<td class=num>{item.count}</td><td>{_e(item.hint)}</td>"
                f"<td>{_e(', '.join(item.students))}</td></tr>"
            )
        out.append("</table>")
    return out


def _exercise_stats(graded: list[dict]) -> list[dict]:
    """One entry per grade cell, in notebook order, then sorted by pass rate and mean points."""
    stats: dict[str, dict] = {}
    for record in graded:
        for t in _tests(_report(record)):
            s = stats.setdefault(
                _text(t.get("grade_id")),
                {
                    "grade_id": _text(t.get("grade_id")),
                    "function": _text(t.get("function")),
                    "max_score": _num(t.get("max_score")),
                    "n": 0,
                    "passed": 0,
                    "points": 0.0,
                    "failures": Counter(),
                },
            )
            s["n"] += 1
            s["points"] += _num(t.get("score")) or 0.0
            if t.get("status") == "passed":
                s["passed"] += 1
            else:
                s["failures"][_text(t.get("status"))] += 1
    for s in stats.values():
        s["rate"] = s["passed"] / s["n"]
    # sorted() is stable: equally hard exercises stay in notebook order.
    return sorted(stats.values(), key=lambda s: (s["rate"], s["points"] / s["n"] / (s["max_score"] or 1)))


def _histogram(scores: list[float], max_score: float | None) -> bytes:
    # Figure, not pyplot: no global state, no backend switch in whatever process imports this.
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    top = max([max_score or 0.0, *scores, 1.0])
    fig = Figure(figsize=(6.5, 2.8), dpi=100, layout="constrained")
    ax = fig.subplots()
    # One bin per point up to 40 points; beyond, bars a point wide would be too thin to read.
    ax.hist(scores, bins=math.ceil(top) if top <= 40 else 20, range=(0, top), color="#5b8def", edgecolor="white")
    ax.axvline(statistics.mean(scores), color="#222", linestyle="--", linewidth=1, label="mean")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left")
    return _figure_png(fig)


def _pass_rate_chart(rows: list[dict]) -> bytes:
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    fig = Figure(figsize=(6.5, 0.9 + 0.32 * len(rows)), dpi=100, layout="constrained")
    ax = fig.subplots()
    rates = [s["rate"] for s in rows]
    bars = ax.barh(range(len(rows)), rates, color=["#d9534f" if r <= LOW_PASS_RATE else "#5cb85c" for r in rates])
    # parse_math=False: a "$" in a name would otherwise be read as mathtext, and bad mathtext raises.
    ax.set_yticks(range(len(rows)), labels=[s["function"][:40] for s in rows], parse_math=False)
    ax.invert_yaxis()  # hardest on top, as in the table
    ax.set_xlim(0, 1.08)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.bar_label(bars, labels=[f"{r:.0%}" for r in rates], padding=2, fontsize=8)
    ax.set_xlabel("pass rate")
    return _figure_png(fig)


def _figure_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _page(title: str, body: list[str]) -> str:
    """A whole page, its ``lang`` the language its texts are made in now."""
    return (
        f'<!DOCTYPE html>\n<html lang="{i18n.language()}"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title><style>{CSS}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _h2(text: str) -> str:
    """A heading of the page's own text (a message, not escaped: no student writes it)."""
    return f"<h2>{text}</h2>"


def _th(text: str, num: bool = False) -> str:
    """A column's header, of the page's own text (not escaped, as ``_h2``)."""
    return f"<th class=num>{text}</th>" if num else f"<th>{text}</th>"


def _e(value) -> str:
    return html.escape(_text(value), quote=True)


def _text(value) -> str:
    return "?" if value is None else str(value)


def _num(value) -> float | None:
    """A finite number from a record, or None: records are JSON, possibly hand-edited or partial."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _pts(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def _percent(fraction: float) -> str:
    return f"{min(max(fraction, 0.0), 1.0) * 100:.2f}%"


def _data_uri(png: bytes) -> str:
    # Re-encoded from the checked bytes, never copied from the notebook: the result is pure base64.
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _report(record: dict) -> dict:
    report = record.get("report")
    return report if isinstance(report, dict) else {}


def _tests(report: dict) -> list[dict]:
    return [t for t in report.get("tests") or [] if isinstance(t, dict)]


def _totals(report: dict) -> tuple[float, float]:
    """The report's score and max_score, summed from its tests where the record lacks them."""
    tests = _tests(report)
    score, max_score = _num(report.get("score")), _num(report.get("max_score"))
    if score is None:
        score = sum(_num(t.get("score")) or 0.0 for t in tests)
    if max_score is None:
        max_score = sum(_num(t.get("max_score")) or 0.0 for t in tests)
    return score, max_score


def _gradable(record: dict) -> bool:
    report = _report(record)
    return bool(report) and not report.get("error")


def _student(record: dict) -> str:
    return _text(record.get("student"))


def _status_class(status) -> str:
    # Only known statuses become class names: the value is escaped, but need not be a valid class.
    return status if status in STATUSES else "other"


def _status_word(status) -> str:
    """A test's status in words: a known one translated, any other as the record has it."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else _text(status)


def _status_cell(status) -> str:
    return f'<td class="{_status_class(status)}">{_e(_status_word(status))}</td>'


def _cases(test: dict) -> str:
    passed, total = test.get("cases_passed"), test.get("cases_total")
    if isinstance(total, int) and not isinstance(total, bool) and total > 0 and isinstance(passed, int):
        return f"{passed} / {total}"
    return "–"
