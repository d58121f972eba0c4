"""The demo's scenario: the dates of the Northwind Labs pilot, and its cast and how each behaves.

`START` and `END` bound the simulated run; `EXECUTIVES` and `MENTORS` give each person of the
seeded workspace (`bot/sandbox/demo_workspace.yaml`) their habits and one line for the transcript;
`cast_pilot` puts the lead, the mentors and the executives on stage with those habits (the roles
themselves are `bot.demo.roles`). Nothing here runs anything: `bot.demo.pilot` runs the pilot,
and the transcript reads `roles()` to say how each person is simulated.
"""

from __future__ import annotations

import datetime as dt

from bot.demo.cast import Cast, Timing, World
from bot.demo.roles import Executive, Habits, Lead, LeadHabits, Mentor, MentorHabits, Pause

# A Tuesday, like the pilot's modules; its last day is Monday 30 November, when the closing
# self-assessment goes out, so the last digest (Monday 7 December) shows the before and after.
START = dt.date(2026, 11, 3)
END = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
LEAD = "U07LEAD0001"
PROGRAM_TZ = "Europe/London"

# Who does what: (habits, one line for the transcript).
ENGAGED = Timing(minutes=(10, 150), office_hours=(8, 18))
RISING = (0, -1, 1)  # engaged people's three KPIs climb at different heights
EXECUTIVES: dict[str, tuple[Habits, str]] = {
    "U07EXEC0001": (
        Habits(checkin_spread=RISING, timing=ENGAGED),
        "engaged: answers within a couple of hours, right first time",
    ),
    "U07EXEC0002": (
        Habits(
            wrong_first=0.5,
            checkin_value=lambda n: 2 + n // 3,
            ratings=(3, 4),
            pulse=lambda n: 4,
            timing=Timing(minutes=(60, 300), office_hours=(8, 18)),
        ),
        "mixed: often wrong at first, tries again",
    ),
    "U07EXEC0003": (
        Habits(
            reflects=True,
            checkin_value=lambda n: min(n + 1, 5),
            checkin_spread=(0, 0, -1),
            timing=ENGAGED,
        ),
        "engaged and reflective: writes a reflection whenever a module asks",
    ),
    "U07EXEC0004": (
        Habits(
            pause=Pause(after_module=2, until=START + dt.timedelta(days=22)),
            checkin_value=lambda n: 2,
            ratings=(2, 3),
            timing=ENGAGED,
        ),
        "pauses: picks a date in “Pause until…” before two weeks of travel, then comes back",
    ),
    "U07EXEC0005": (
        Habits(checkin_spread=RISING, timing=ENGAGED),
        "engaged: answers within a couple of hours, right first time",
    ),
    "U07EXEC0006": (
        Habits(
            modules=3,
            checkins=1,
            checkin_value=lambda n: 1,
            ratings=(2, None),
            meets=lambda n: n < 2,
            pulse=lambda n: 4 if n < 2 else 2,
            timing=Timing(minutes=(120, 600), office_hours=(9, 18)),
        ),
        "fading: three modules and one check-in, then silence",
    ),
    "U07EXEC0007": (
        Habits(
            wrong_first=0.4,
            checkin_value=lambda n: 2,
            ratings=(3, 3),
            pulse=lambda n: 4,
            timing=Timing(minutes=(240, 900), office_hours=(9, 17)),
        ),
        "mixed and busy: answers late in the day or the next, sometimes wrong at first",
    ),
    "U07EXEC0008": (
        Habits(reflects=True, checkin_spread=RISING, timing=ENGAGED),
        "engaged: answers quickly and reflects",
    ),
}
MENTORS: dict[str, tuple[MentorHabits, str]] = {
    "U07MENT0001": (
        MentorHabits(
            meeting=dt.time(10, 0),
            notes=(
                (
                    "Good energy. Margaret asked the two newest people to go first; Robert wants a"
                    " follow-up on AI tools."
                ),
                (
                    "Shorter session; we practised crediting people by name in a message they are"
                    " not part of."
                ),
            ),
        ),
        "mentor: schedules each circle, takes attendance, writes a note",
    ),
    "U07MENT0002": (
        MentorHabits(
            meeting=dt.time(15, 0),
            notes=(
                (
                    "We read a real dashboard together; everyone found one number they had been"
                    " misreading."
                ),
                (
                    "Talked about async updates instead of status meetings; two people will try it"
                    " next week."
                ),
            ),
        ),
        "mentor",
    ),
    "U07MENT0003": (
        MentorHabits(
            meeting=dt.time(16, 0),
            notes=(
                (
                    "Lots of candour about meetings that run over. Arjun was quiet; I will check in"
                    " with him."
                ),
                (
                    "We tried a round where the most junior person speaks first. It felt odd, then"
                    " useful."
                ),
            ),
        ),
        "mentor",
    ),
}


def _mentor(habits: MentorHabits) -> MentorHabits:
    ratings = {"U07EXEC0002": 3, "U07EXEC0006": 2, "U07EXEC0007": 3}
    return MentorHabits(
        meeting=habits.meeting,
        notes=habits.notes,
        note_at_scheduling=False,
        takes_attendance=True,
        rating=lambda uid: ratings.get(uid, 4),
        pulse=lambda n: 5,
        timing=Timing(minutes=(20, 120), office_hours=(9, 18)),
    )


def roles() -> dict[str, str]:
    """The transcript's one line per person about how they behave."""
    return {
        LEAD: "program lead: reads each digest and nudges who is at risk",
        **{uid: line for uid, (_, line) in EXECUTIVES.items()},
        **{uid: line for uid, (_, line) in MENTORS.items()},
    }


def cast_pilot(world: World) -> Cast:
    """The lead, the mentors and the executives of the demo, each with their habits."""
    cast = Cast(world, seed=7)
    Lead(
        cast,
        LEAD,
        LeadHabits(nudges_at_risk=True, timing=Timing(minutes=(15, 60), office_hours=(8, 18))),
    )
    for uid, (habits, _) in MENTORS.items():
        Mentor(cast, uid, _mentor(habits))
    for uid, (habits, _) in EXECUTIVES.items():
        Executive(cast, uid, habits)
    return cast
