"""Reading the depositary's (UN Treaty Collection's) status pages into plain records.

No Django here: see ``records`` for what a page is read into and ``parse`` for how.
"""

from .errors import NotAStatusPage, PageError
from .parse import parse_status_page
from .records import (
    EndNote,
    ExtraCell,
    Header,
    Instrument,
    InstrumentKind,
    ParticipantRow,
    Reaccession,
    Statement,
    StatusPage,
    Withdrawal,
    WithdrawalKind,
)

__all__ = [
    "EndNote",
    "ExtraCell",
    "Header",
    "Instrument",
    "InstrumentKind",
    "NotAStatusPage",
    "PageError",
    "ParticipantRow",
    "Reaccession",
    "Statement",
    "StatusPage",
    "Withdrawal",
    "WithdrawalKind",
    "parse_status_page",
]
