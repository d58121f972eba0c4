"""The weekly digest for a program's leads: what it says, computed for one program and ISO week."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.digest import metrics, risk
from bot.digest.circle_figures import latest_circle_period
from bot.digest.metrics import Completion, Mean
from bot.digest.model import (
    CircleHealth,
    Digest,
    HardQuestion,
    KpiTrend,
    ModuleFigure,
    SkillChange,
    Week,
    completion_figure,
    figure,
)
from bot.models import (
    OBSERVED,
    Kpi,
    KpiStatus,
    ObservationSource,
    Program,
)
from bot.programs.service import program_settings, undeliverable

TREND_WEEKS = 6
# Slack's markup in a person's text: <!channel>, <@U123|sam>, <#C123|general>, <https://x|label>.
SLACK_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def compute(session: Session, *, program: Program, catalog: Catalog, week: Week) -> Digest:
    """Everything the digest for `week` says, as of the end of that week."""
    if session.get_bind().dialect.name == "postgresql":
        # A digest is a few dozen short aggregate queries: PostgreSQL's JIT compiler, which kicks in
        # on their cost estimates, spends longer compiling than the queries take to run.
        session.execute(text("SET LOCAL jit = off"))
    k = program_settings(program).min_group_size
    cutoff = week.window.end
    weeks = [week.shift(-i, program.timezone) for i in range(TREND_WEEKS - 1, -1, -1)]
    completions = metrics.completion_by_window(session, program.id, [w.window for w in weeks])
    previous = weeks[-2].window
    modules = metrics.module_completion(session, program.id, week.window, min_people=k)
    circles = _circle_health(session, program, cutoff=cutoff, min_group=k)
    template = catalog.programs.get(program.template)
    circle_word = (
        "the last circle"
        if template and template.circles.frequency == "weeks"
        else "this month's circle"
    )
    at_risk, total = risk.at_risk(
        session,
        program,
        week=week,
        circle_period=circles.period_start if circles else None,
        circle_word=circle_word,
    )
    return Digest(
        program_id=program.id,
        program_name=program.name,
        week=week,
        min_group=k,
        enrolled=metrics.enrolled_executives(session, program.id),
        active=tuple(
            reversed(metrics.active_executives(session, program.id, [previous, week.window]))
        ),  # type: ignore[arg-type]
        completion=(completion_figure(completions[-1], k), completion_figure(completions[-2], k)),
        score=(
            figure(metrics.first_attempt_score(session, program.id, week.window), k),
            figure(metrics.first_attempt_score(session, program.id, previous), k),
        ),
        completion_trend=[
            (w.monday, completion_figure(c, k)) for w, c in zip(weeks, completions, strict=False)
        ],
        kpis=_kpi_trends(session, program, weeks=weeks, min_group=k),
        skills=_skills(session, program, catalog, cutoff=cutoff, min_group=k),
        circles=circles,
        hardest=_hardest(session, program, catalog, week=week, min_group=k),
        most_completed=_module_figure(catalog, modules[0], k) if modules else None,
        least_completed=_module_figure(catalog, modules[-1], k) if len(modules) > 1 else None,
        at_risk=at_risk,
        at_risk_total=total,
        undeliverable=undeliverable(session, program),
        program_start=program.start_date,
    )


def _kpi_trends(
    session: Session, program: Program, *, weeks: list[Week], min_group: int
) -> list[KpiTrend]:
    last_monday = weeks[-1].monday
    kpis = session.scalars(
        select(Kpi).where(Kpi.program_id == program.id).order_by(Kpi.kind == OBSERVED, Kpi.id)
    ).all()
    trends = []
    for kpi in kpis:
        mentor = kpi.kind == OBSERVED
        source = ObservationSource.mentor if mentor else ObservationSource.self_report
        periods = (
            metrics.mentor_periods(
                session, kpi.id, before=last_monday + dt.timedelta(days=6), limit=TREND_WEEKS
            )
            if mentor
            else [w.monday for w in weeks]
        )
        found = metrics.kpi_points(session, kpi.id, source, periods=periods)
        if kpi.status == KpiStatus.retired and not found:
            continue  # retired before this stretch: nothing to show
        points = [(p, figure(found.get(p, Mean(None, 0)), min_group)) for p in periods]
        base = metrics.kpi_baseline(
            session,
            kpi.id,
            source,
            before=periods[-1] if periods else last_monday,
            min_people=min_group,
        )
        shown = [(p, f) for p, f in points if f.shown]
        trends.append(
            KpiTrend(
                key=kpi.key,
                name=kpi.name,
                kind=kpi.kind,
                scale_min=kpi.scale_min,
                scale_max=kpi.scale_max,
                observed_by_mentors=mentor,
                points=points,
                baseline=(base[0], figure(base[1], min_group)) if base else None,
                latest=shown[-1] if shown else None,
            )
        )
    return trends


def _skills(
    session: Session, program: Program, catalog: Catalog, *, cutoff: dt.datetime, min_group: int
) -> list[SkillChange]:
    template = catalog.programs.get(program.template)
    if template is None:
        return []
    areas = {q.id: q.skill_area.value for q in template.assessment}
    changes = metrics.skill_change(session, program.id, areas, cutoff=cutoff)
    return [
        SkillChange(
            area, figure(everyone, min_group), figure(before, min_group), figure(after, min_group)
        )
        for area, (everyone, before, after) in changes.items()
    ]


def _circle_health(
    session: Session, program: Program, *, cutoff: dt.datetime, min_group: int
) -> CircleHealth | None:
    period = latest_circle_period(session, program.id, cutoff=cutoff)
    if period is None:
        return None
    excerpt = None
    if period.newest_note and period.newest_note_circle_size >= min_group:
        text = " ".join(as_words(period.newest_note).split())
        excerpt = text if len(text) <= 200 else text[:199].rsplit(" ", 1)[0] + "…"
    attendance = Mean(
        period.attended / period.executives if period.executives else None, period.executives
    )
    return CircleHealth(
        period_start=period.start,
        period_end=period.end,
        circles=period.circles,
        met=period.met,
        attendance=figure(attendance, min_group),
        pulse=figure(period.pulse, min_group),
        notes=period.notes,
        excerpt=excerpt,
    )


def as_words(text: str) -> str:
    """A person's text with Slack's markup turned into plain words, for quoting it to others.

    A mentor's note arrives with `@channel` as `<!channel>` and a name as `<@U123>`; quoted as they
    are in the digest (a lead's DM, perhaps a channel), they would notify the channel or the person
    the private note is about, and a link could hide behind any label.
    """

    def word(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("http", "mailto", "!date")):
            return label or target
        sigil = "@" if target[:1] in ("!", "@") else "#" if target[:1] == "#" else ""
        if not sigil:
            return label or target
        return sigil + (label or target[1:].split("^")[0]).lstrip("@#")

    return SLACK_MARKUP.sub(word, text)


def _hardest(
    session: Session, program: Program, catalog: Catalog, *, week: Week, min_group: int
) -> HardQuestion | None:
    found = metrics.hardest_question(session, program.id, week.window, min_people=min_group)
    if found is None:
        return None
    module_id, question_id, mean = found
    module = catalog.modules.get(module_id)
    question = next((q for q in module.questions if q.id == question_id), None) if module else None
    return HardQuestion(
        module_title=module.title if module else module_id,
        prompt=question.prompt if question else question_id,
        right_first_time=figure(mean, min_group),
    )


def _module_figure(catalog: Catalog, item: tuple[str, Completion], min_group: int) -> ModuleFigure:
    module_id, completion = item
    module = catalog.modules.get(module_id)
    return ModuleFigure(
        module_id, module.title if module else module_id, completion_figure(completion, min_group)
    )
