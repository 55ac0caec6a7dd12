"""Export of a treaty's status table as of a date, in import format 1 (CSV) or JSON.

Importing the export into an empty treaty gives the same status on that date.
"""

import csv
import io
import json
from datetime import date

from signatories.models import SIGNATURE_VALUES, Action
from tracker.models import Treaty
from tracker.rules import ActionKind
from tracker.selectors import status_dict, treaty_status
from tracker.status_tables import FORMAT_1_COLUMNS


def export_rows(treaty: Treaty, as_of: date) -> list[dict[str, str]]:
    """One row per participant that had signed or deposited by ``as_of``, by name.

    The C.N. reference, source, confidence and note are the deposit's, or the signature's
    when there is no deposit, as the import reads them.
    """
    actions = (
        Action.objects.filter(treaty=treaty, date__lte=as_of)
        .select_related("participant")
        .prefetch_related("sources")
        .order_by("participant__name", "date")
    )
    rows: dict[str, dict[str, str]] = {}
    for action in actions:
        if action.withdrawn_on and action.withdrawn_on <= as_of:
            continue
        row = rows.setdefault(action.participant.name, dict.fromkeys(FORMAT_1_COLUMNS, ""))
        row["participant"] = action.participant.name
        if action.kind == ActionKind.SIGNATURE:
            row["signature_date"] = action.date.isoformat()
        else:  # an instrument, or a definitive signature: the `action` column
            row["action"], row["action_date"] = action.kind, action.date.isoformat()
        if action.kind not in SIGNATURE_VALUES or not row["action"]:
            urls = sorted(source.url for source in action.sources.all() if source.url)
            row.update(
                cn_reference=action.cn_reference,
                source_url=urls[0] if urls else "",
                confidence=action.confidence,
                note=action.note,
            )
    return list(rows.values())


def export_csv(treaty: Treaty, as_of: date) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FORMAT_1_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(export_rows(treaty, as_of))
    return out.getvalue()


def export_json(treaty: Treaty, as_of: date) -> str:
    data = {
        "treaty": treaty.slug,
        "as_of": as_of.isoformat(),
        "status": status_dict(treaty, treaty_status(treaty, as_of)),
        "participants": export_rows(treaty, as_of),
    }
    return json.dumps(data, ensure_ascii=False, indent=2)
