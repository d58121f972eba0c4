"""Block Kit for module messages: the first post and every update after a click."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.content.schema import AssessmentQuestion, Module, Question
from bot.core.ids import Action, Callback
from bot.core.ids import Block as BlockId

AREA_WORDS = {
    "digital": "Digital skills",
    "cultural": "Cultural skills",
    "inclusive": "Inclusive skills",
}


@dataclass(frozen=True)
class QuestionState:
    """How a person has answered one question so far."""

    first_option: str | None = None  # the scored first attempt
    last_option: str | None = None
    attempts: int = 0


def action_value(
    delivery_id: int, question_id: str = "", option_id: str = "", attempt: int = 0
) -> str:
    """The value carried by a module button: delivery, question, option, and the attempt it answers.

    The attempt number makes a double click (or a retried request) land on an attempt that is
    already recorded, so it is recognised and ignored.
    """
    return f"{delivery_id}|{question_id}|{option_id}|{attempt}"


def module_message(
    module: Module,
    *,
    delivery_id: int,
    position: int,
    total: int,
    answers: dict[str, QuestionState],
    completed: bool,
    reflected: bool = False,
    retrying: frozenset[str] = frozenset(),
) -> list[Block]:
    """The whole module DM for its current state (unanswered, partly answered, done).

    `retrying` names questions whose "Try again" was just clicked: their options show again.
    """
    blocks: list[Block] = [
        HeaderBlock(text=module.title),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=(
                        f":stopwatch: {module.minutes} min · {AREA_WORDS[module.skill_area]} ·"
                        f" module {position} of {total}"
                    )
                )
            ]
        ),
        SectionBlock(text=MarkdownTextObject(text=module.body)),
        SectionBlock(
            text=MarkdownTextObject(text=f":dart: *Try this week:* {module.try_this_week}")
        ),
        DividerBlock(),
    ]
    for number, question in enumerate(module.questions, start=1):
        state = answers.get(question.id, QuestionState())
        blocks.extend(
            _question_blocks(question, number, delivery_id, state, question.id in retrying)
        )
    if module.reflection:
        blocks.append(DividerBlock())
        blocks.append(
            SectionBlock(
                block_id=f"{BlockId.reflection_input}-{delivery_id}",
                text=MarkdownTextObject(text=f":thought_balloon: *Reflect:* {module.reflection}"),
                accessory=ButtonElement(
                    text="Edit reflection" if reflected else "Write a reflection",
                    action_id=Action.reflect,
                    value=action_value(delivery_id),
                ),
            )
        )
    blocks.append(DividerBlock())
    blocks.extend(_footer(delivery_id, completed))
    return blocks


def _question_blocks(
    question: Question, number: int, delivery_id: int, state: QuestionState, retrying: bool
) -> list[Block]:
    block_id = f"{BlockId.question}-{question.id}"
    prompt = SectionBlock(
        block_id=f"{block_id}-prompt",
        text=MarkdownTextObject(text=f"*{number}. {question.prompt}*"),
    )
    if state.last_option is None or retrying:
        buttons = [
            ButtonElement(
                text=option.label,
                action_id=Action.answer.with_suffix(option.id),
                value=action_value(delivery_id, question.id, option.id, state.attempts + 1),
            )
            for option in question.options
        ]
        return [prompt, ActionsBlock(block_id=block_id, elements=buttons)]
    chosen = next(
        (o.label for o in question.options if o.id == state.last_option), state.last_option
    )
    right = next(o.label for o in question.options if o.id == question.correct)
    if state.last_option == question.correct:
        verdict = f":white_check_mark: *{chosen}* is right."
    else:
        verdict = f":x: You chose *{chosen}*. The answer is *{right}*."
    if state.attempts > 1:
        first_right = state.first_option == question.correct
        verdict += f" _(First try {'right' if first_right else 'missed'}; that one counts.)_"
    result = SectionBlock(
        block_id=block_id,
        text=MarkdownTextObject(text=f"{verdict}\n{question.explanation}"),
        accessory=(
            None
            if state.last_option == question.correct
            else ButtonElement(
                text="Try again",
                action_id=Action.retry,
                value=action_value(delivery_id, question.id, "", state.attempts + 1),
            )
        ),
    )
    return [prompt, result]


def _footer(delivery_id: int, completed: bool) -> list[Block]:
    value = action_value(delivery_id)
    controls: list[ButtonElement | DatePickerElement] = []
    if not completed:
        controls.append(
            ButtonElement(
                text="Mark done", action_id=Action.mark_done, value=value, style="primary"
            )
        )
    controls.extend(
        [
            ButtonElement(text="Snooze a week", action_id=Action.snooze, value=value),
            DatePickerElement(
                action_id=Action.pause_until,
                placeholder="Pause until…",
                confirm=None,
            ),
            ButtonElement(
                text="Stop these messages",
                action_id=Action.opt_out,
                value=value,
                style="danger",
                confirm=ConfirmObject(
                    title="Stop Upward's messages?",
                    text=(
                        "You will get no more modules or check-ins. You can come back any time from"
                        " Upward's Home tab."
                    ),
                    confirm="Stop messages",
                    deny="Keep them",
                ),
            ),
        ]
    )
    blocks: list[Block] = [ActionsBlock(block_id=f"controls-{delivery_id}", elements=controls)]
    if completed:
        blocks.insert(
            0,
            ContextBlock(
                elements=[MarkdownTextObject(text=":tada: Done. Thank you for making the time.")]
            ),
        )
    return blocks


def reflection_modal(module: Module, *, delivery_id: int, current: str | None) -> View:
    """The modal where an executive writes (or edits) a free-text reflection."""
    return View(
        type="modal",
        callback_id=Callback.reflection,
        private_metadata=str(delivery_id),
        title="Reflection",
        submit="Save",
        close="Cancel",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{module.title}*\n{module.reflection}")),
            InputBlock(
                block_id=BlockId.reflection_input,
                label="Your reflection (only you and your program's aggregate reports see it)",
                element=PlainTextInputElement(
                    action_id="text", multiline=True, max_length=2000, initial_value=current or None
                ),
            ),
        ],
    )


def render_problems(module: Module) -> list[str]:
    """Why Slack would refuse this module's message, per slack_sdk's own checks (empty when
    fine)."""
    from slack_sdk.errors import SlackObjectFormationError

    problems: list[str] = []
    states = [
        {},
        {
            q.id: QuestionState(
                first_option=q.options[0].id, last_option=q.options[0].id, attempts=2
            )
            for q in module.questions
        },
    ]
    for answers in states:
        blocks = module_message(
            module,
            delivery_id=2**31,
            position=99,
            total=99,
            answers=answers,
            completed=bool(answers),
            reflected=True,
        )
        if len(blocks) > 50:
            problems.append(f"the message has {len(blocks)} blocks; Slack allows 50")
        for block in blocks:
            try:
                block.to_dict()
            except SlackObjectFormationError as exc:
                problems.append(str(exc))
    if module.reflection:
        try:
            reflection_modal(module, delivery_id=2**31, current=None).to_dict()
        except SlackObjectFormationError as exc:
            problems.append(f"reflection modal: {exc}")
    return sorted(set(problems))


def assessment_message(
    template_name: str,
    questions: list[AssessmentQuestion],
    *,
    delivery_id: int,
    closing: bool,
    answers: dict[str, QuestionState],
) -> list[Block]:
    """The baseline (or closing) self-assessment: one row of rating buttons per question."""
    intro = (
        "Before we start, rate where you are today. It takes a minute, and at the end of the"
        " program you will answer the same questions so you (and your program lead, only in"
        " aggregate) can see the change."
        if not closing
        else (
            "The program is ending. Rate where you are now on the same questions as at the start; "
            "your program lead sees only group averages."
        )
    )
    blocks: list[Block] = [
        HeaderBlock(text=f"{template_name}: {'closing' if closing else 'starting'} check-in"),
        SectionBlock(text=MarkdownTextObject(text=intro)),
        DividerBlock(),
    ]
    for question in questions:
        block_id = f"{BlockId.question}-{question.id}"
        state = answers.get(question.id, QuestionState())
        blocks.append(
            SectionBlock(
                block_id=f"{block_id}-prompt", text=MarkdownTextObject(text=f"*{question.prompt}*")
            )
        )
        if state.last_option is None:
            blocks.append(
                ActionsBlock(
                    block_id=block_id,
                    elements=[
                        ButtonElement(
                            text=str(n),
                            action_id=Action.rate.with_suffix(str(n)),
                            value=action_value(
                                delivery_id, question.id, str(n), state.attempts + 1
                            ),
                        )
                        for n in range(question.scale.min, question.scale.max + 1)
                    ],
                )
            )
            blocks.append(
                ContextBlock(
                    elements=[
                        MarkdownTextObject(
                            text=(
                                f"{question.scale.min} = {question.scale.low_label} ·"
                                f" {question.scale.max} = {question.scale.high_label}"
                            )
                        )
                    ]
                )
            )
        else:
            blocks.append(
                ContextBlock(
                    block_id=block_id,
                    elements=[
                        MarkdownTextObject(
                            text=f":white_check_mark: You answered *{state.last_option}*."
                        )
                    ],
                )
            )
    if questions and all(q.id in answers for q in questions):
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=":tada: Thank you. That's all.")])
        )
    return blocks


def module_text(module: Module) -> str:
    """The message's plain `text`: notifications and screen readers show it instead of the
    blocks."""
    return f"{module.title} ({module.minutes} min)"


def reminder_text(module: Module) -> str:
    """The one gentle nudge, as a threaded reply under the module."""
    return (
        f"A gentle nudge: *{module.title}* takes about {module.minutes} minutes, whenever suits you"
        " this week. If now is a busy stretch, *Snooze a week* above is fine too."
    )
