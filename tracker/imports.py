"""Import of status tables: one service for the command line, the admin and the API.

Filled in by the import work; the admin's upload page calls ``import_status``.
"""

from dataclasses import dataclass


class ImportRejected(Exception):
    """The file has bad rows; ``problems`` lists each as "row N: reason". Nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class ImportSummary:
    """What an import created, updated and left unchanged (counted in actions)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return f"{text} (dry run: nothing was written)" if self.dry_run else text


def import_status(treaty, file_name: str, text: str, *, user=None, dry_run: bool = False, reason: str = "") -> ImportSummary:
    """Import a status table (CSV text) into ``treaty``, all or nothing."""
    raise NotImplementedError
