"""The review of a case reading (SPEC 14): its states, the legal moves and the four-eyes rule.

draft --submit--> submitted --approve--> approved
                  submitted --return---> returned --submit--> submitted

An approve or return is never made by the account that submitted the case. Changing a
submitted or approved case's attributes or answers sends it back to draft, so what an
approver approves is always what was submitted.
"""

from __future__ import annotations

from app.models.review import ReviewAction, ReviewStatus

# action -> (the statuses it acts on, the status it leads to)
MOVES: dict[ReviewAction, tuple[frozenset[ReviewStatus], ReviewStatus]] = {
    ReviewAction.submit: (
        frozenset({ReviewStatus.draft, ReviewStatus.returned}),
        ReviewStatus.submitted,
    ),
    ReviewAction.approve: (frozenset({ReviewStatus.submitted}), ReviewStatus.approved),
    ReviewAction.return_: (frozenset({ReviewStatus.submitted}), ReviewStatus.returned),
}
# Moves that judge another's reading: never by the account that submitted it.
FOUR_EYES = frozenset({ReviewAction.approve, ReviewAction.return_})
# States whose content was handed over for review; a change to it reopens the case.
HANDED_OVER = frozenset({ReviewStatus.submitted, ReviewStatus.approved})


class IllegalMove(Exception):
    def __init__(self, current: ReviewStatus, action: ReviewAction) -> None:
        super().__init__(f"a {current.value} case cannot be given {action.value!r}")
        self.current = current
        self.action = action


def allowed_actions(current: ReviewStatus) -> list[ReviewAction]:
    return [action for action, (sources, _) in MOVES.items() if current in sources]


def next_status(current: ReviewStatus, action: ReviewAction) -> ReviewStatus:
    """Where the action leads from the current status; IllegalMove when it may not act."""
    sources, target = MOVES[action]
    if current not in sources:
        raise IllegalMove(current, action)
    return target


def breaks_four_eyes(action: ReviewAction, actor: str, submitted_by: str | None) -> bool:
    """Whether the actor would be judging a reading they submitted themselves."""
    return action in FOUR_EYES and submitted_by is not None and actor == submitted_by


def after_change(current: ReviewStatus) -> ReviewStatus:
    """The status after the case's attributes or answers changed."""
    return ReviewStatus.draft if current in HANDED_OVER else current
