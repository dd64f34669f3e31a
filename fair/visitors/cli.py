"""`fair visitors ...`: ticket commands for the console (print shops, badge printers)."""
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from fair.extensions import db
from fair.fairs.models import Fair
from fair.visitors.checkin_cli import device_token_command


@click.group("visitors")
def visitors_command() -> None:
    """Visitors: tickets and check-in."""


visitors_command.add_command(device_token_command)


@visitors_command.command("export-tickets")
@click.option("--fair", "slug", required=True, help="The fair's slug.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The CSV file to write (UTF-8 with a BOM, for Excel).")
@with_appcontext
def export_tickets_command(slug: str, out: Path) -> None:
    """Write every ticket of a fair with its QR content (the same file as the organizers' export)."""
    from fair.visitors import services

    fair = db.session.scalar(sa.select(Fair).where(Fair.slug == slug))
    if fair is None:
        raise click.ClickException(f"No fair with the slug {slug!r}.")
    content = services.export_tickets(fair, actor=None)
    out.write_bytes(content)
    rows = content.count(b"\n") - 1                 # one line a ticket: names and groups are single-line
    click.echo(f"Wrote {rows} tickets to {out}")
