"""The per-run record of a one-shot search (alpha/probability trajectory and derived architecture
per epoch, training curves, data source): the artefact ``oneshot.json`` of its run, stored in
the results folder beside the run file (``nasbench_lab.infra.artefacts``)."""
from __future__ import annotations

from typing import Any

from nasbench_lab.core.context import RunContext

#: The artefact name of a one-shot record.
ARTEFACT = "oneshot.json"


def save_record(context: RunContext, record: dict[str, Any]) -> None:
    """Hand ``record`` to the run context (the store writes it beside the run file)."""
    context.save_artefact(ARTEFACT, record)
