"""``appletrace labels``: print, reprint, void and replace labels; list runs.

Thin shells: check the options, call ``trace.label_runs`` for the run, then
``labels.render`` for the file.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlmodel import Session
from tqdm import tqdm

from appletrace.labels.job import LabelJob
from appletrace.labels.render import (
    FORMATS,
    check_format,
    check_job,
    render,
    write_file,
)
from appletrace.labels.runs import make_job
from appletrace.labels.templates import DPIS, load_template, template_names
from appletrace.trace import label_runs
from appletrace.trace.cli import CliContext, emit_json, emit_table, pass_context
from appletrace.trace.db import session_scope
from appletrace.trace.digital_link import parse_path
from appletrace.trace.errors import AppletraceError, InvalidInput
from appletrace.trace.lots import get_lot
from appletrace.trace.models import LabelRun
from appletrace.trace.organizations import get_organization

CLI_ACTOR = "cli"
# Below this count a run prints in about a second: no progress bar.
PROGRESS_FROM = 2_000


class OutputFailed(AppletraceError):
    """The run exists but its file could not be written."""


def output_options(command: Callable[..., None]) -> Callable[..., None]:
    """Options shared by every command that writes labels."""
    options = [
        click.option(
            "--template", default=None, help="Layout; see 'labels templates'."
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default="pdf",
            show_default=True,
        ),
        click.option(
            "--dpi",
            type=click.IntRange(min=1),
            default=None,
            help=f"Printer resolution ({', '.join(map(str, DPIS))}); the template's "
            "by default.",
        ),
        click.option(
            "--zpl-bitmap", is_flag=True, help="ZPL: send the QR as ^GF dots."
        ),
        click.option(
            "--out",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="File to write (required except for --format text).",
        ),
    ]
    for option in reversed(options):
        command = option(command)

    return command


@click.group()
def labels() -> None:
    """QR labels for packing houses: print, reprint, void, replace, verify."""


@labels.command("print")
@click.argument("lot_code", metavar="LOT")
@click.option("--count", type=int, required=True, help="Labels in the run.")
@click.option("--gtin", default=None, help="Default: the lot's, else the co-op's.")
@click.option("--house", default=None, help="Packing house (when there are several).")
@click.option("--short", is_flag=True, help="Leave /10/{lot} out of the address.")
@output_options
@pass_context
def print_labels(
    context: CliContext,
    lot_code: str,
    count: int,
    gtin: str | None,
    house: str | None,
    short: bool,
    **output: object,
) -> None:
    """Create a label run for LOT and write its labels to a file."""
    label_runs.check_lot_code(lot_code)
    label_runs.check_count(count)
    _check_output(count, output)
    settings = context.settings
    with session_scope(context.engine) as session:
        lot = get_lot(session, lot_code)
        packing_house = get_organization(session, house, "packing_house")
        run = label_runs.create_label_run(
            session,
            lot,
            packing_house,
            gtin or label_runs.default_gtin(session, lot),
            count,
            CLI_ACTOR,
            settings.secret_key,
            template=str(output["template"] or label_runs.DEFAULT_TEMPLATE),
            short=short,
        )
        job = _job(context, session, run, 0, count, output)
        # A job that cannot be drawn rolls the new run back.
        check_job(job, str(output["fmt"]))

    _write(job, output, run)


@labels.command("reprint")
@click.argument("run_id", metavar="RUN", type=int)
@click.option("--from", "first", type=int, default=0, help="First label (from 0).")
@click.option("--to", "last", type=int, default=None, help="Last label, included.")
@output_options
@pass_context
def reprint(
    context: CliContext, run_id: int, first: int, last: int | None, **output: object
) -> None:
    """Write labels FROM to TO of a run again: the very same codes."""
    with Session(context.engine) as session:
        run = label_runs.get_label_run(session, run_id)
        stop = label_runs.issued(run) if last is None else last + 1
        label_runs.check_range(run, first, stop)
        _check_output(stop - first, output)
        job = _job(context, session, run, first, stop, output)
        check_job(job, str(output["fmt"]))

    _write(job, output, run)


@labels.command("void")
@click.argument("run_id", metavar="RUN", type=int)
@click.argument("indexes", metavar="INDEX...", type=int, nargs=-1, required=True)
@click.option("--reason", default="damaged", show_default=True)
@pass_context
def void(
    context: CliContext, run_id: int, indexes: tuple[int, ...], reason: str
) -> None:
    """Declare labels damaged: their codes stop showing as genuine."""
    with session_scope(context.engine) as session:
        run = label_runs.get_label_run(session, run_id)
        for index in indexes:
            label_runs.void_label(session, run, index, CLI_ACTOR, reason)

    click.echo(f"voided {len(indexes)} label(s) of run {run_id}")


@labels.command("replace")
@click.argument("run_id", metavar="RUN", type=int)
@click.argument("indexes", metavar="INDEX...", type=int, nargs=-1, required=True)
@click.option("--reason", default="damaged", show_default=True)
@output_options
@pass_context
def replace(
    context: CliContext,
    run_id: int,
    indexes: tuple[int, ...],
    reason: str,
    **output: object,
) -> None:
    """Void labels and print one new label for each."""
    _check_output(len(indexes), output)
    with session_scope(context.engine) as session:
        run = label_runs.get_label_run(session, run_id)
        new = label_runs.issue_replacements(
            session, run, list(indexes), CLI_ACTOR, reason
        )
        job = _job(context, session, run, new[0], new[-1] + 1, output)
        check_job(job, str(output["fmt"]))

    replaced = ", ".join(
        f"{old} by {now}" for old, now in zip(indexes, new, strict=True)
    )
    click.echo(f"replaced labels {replaced}")
    _write(job, output, run)


@labels.command("runs")
@click.argument("lot_code", metavar="LOT")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def runs(context: CliContext, lot_code: str, as_json: bool) -> None:
    """List a lot's label runs."""
    with Session(context.engine) as session:
        lot = get_lot(session, lot_code)
        rows = [
            _run_row(run, len(label_runs.list_voided(session, run)))
            for run in label_runs.list_label_runs(session, lot)
        ]

    if as_json:
        emit_json(rows)
    else:
        emit_table(list(rows[0]) if rows else ["run"], [r.values() for r in rows])


def _run_row(run: LabelRun, voided: int) -> dict[str, object]:
    return {
        "run": run.id,
        "gtin": run.gtin,
        "count": run.count,
        "replacements": run.replacement_count,
        "voided": voided,
        "template": run.template,
        "short": run.short_uri,
        "created_at": run.created_at.strftime("%Y-%m-%d %H:%M"),
        "created_by": run.created_by,
    }


@labels.command("verify")
@click.argument("address")
@pass_context
def verify(context: CliContext, address: str) -> None:
    """Check a scanned address or path: genuine, voided, or not ours (exit 1)."""
    path = "/01/" + address.split("/01/", 1)[1] if "/01/" in address else address
    with Session(context.engine) as session:
        link = parse_path(path)
        match = label_runs.verify_serial(session, link, context.settings.secret_key)

    if match is None:
        click.echo("not genuine: no label of ours has this code", err=True)
        sys.exit(1)

    state = "voided" if match.voided else "genuine"
    if match.replaced_by is not None:
        state += f" (replaced by label {match.replaced_by})"

    click.echo(
        f"{state}: lot {match.lot.code}, run {match.run.id}, label {match.index}"
    )


@labels.command("templates")
def templates() -> None:
    """List the label templates."""
    rows = []
    for name in template_names():
        template = load_template(name)
        rows.append([name, template.per_page, template.dpi, template.description])

    emit_table(["template", "per page", "dpi", "description"], rows)


def _check_output(count: int, output: dict[str, object]) -> None:
    fmt, dpi = str(output["fmt"]), output["dpi"]
    check_format(fmt, count, dpi if isinstance(dpi, int) else None)
    if output["template"] is not None:
        load_template(str(output["template"]))

    if isinstance(dpi, int) and dpi not in DPIS:
        choices = ", ".join(map(str, DPIS))
        raise InvalidInput("dpi", f"--dpi {dpi} is not one of {choices}")

    if output["out"] is None and fmt != "text":
        raise click.UsageError("--out FILE is needed for this format")


def _job(
    context: CliContext,
    session: Session,
    run: LabelRun,
    start: int,
    stop: int,
    output: dict[str, object],
) -> LabelJob:
    settings = context.settings
    template = output["template"]
    dpi = output["dpi"]

    return make_job(
        session,
        run,
        settings.base_url,
        settings.secret_key,
        start,
        stop,
        template=None if template is None else str(template),
        dpi=dpi if isinstance(dpi, int) else None,
    )


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    if total < PROGRESS_FROM or not sys.stderr.isatty():
        yield None
        return

    # tqdm's monitor thread would make page drawing use a fork server (slower).
    tqdm.monitor_interval = 0
    with tqdm(total=total, unit="label", file=sys.stderr) as bar:
        yield bar.update


def _write(job: LabelJob, output: dict[str, object], run: LabelRun) -> None:
    fmt, out = str(output["fmt"]), output["out"]
    with _progress(job.count) as progress:
        chunks = render(
            job, fmt, progress=progress, zpl_bitmap=bool(output["zpl_bitmap"])
        )
        if out is None:
            for chunk in chunks:
                click.echo(chunk.decode(), nl=False)

            return

        assert isinstance(out, Path)
        try:
            size = write_file(out, chunks)
        except OSError as error:
            raise OutputFailed(
                f"could not write {str(out)!r}: {error.strerror}; run {run.id} exists, "
                f"write it again with 'appletrace labels reprint {run.id} --out FILE'"
            ) from None

    click.echo(
        f"wrote labels {job.start} to {job.stop - 1} of run {run.id} "
        f"({job.count:,} labels, {size:,} bytes) to {out}"
    )
