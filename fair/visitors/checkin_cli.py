"""`fair visitors device-token`: a scanning device's bearer token from the command line (gate hardware set
up by the venue's technicians), the same as the console issues."""
import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from fair.extensions import db
from fair.fairs.models import Fair
from fair.refusal import Refused
from fair.visitors import checkins
from fair.visitors.models import CheckinPoint


@click.command("device-token")
@click.option("--fair", "fair_slug", required=True, help="The fair's slug.")
@click.option("--point", "point_slugs", multiple=True, required=True,
              help="A check-in point's slug; repeat for several points.")
@click.option("--name", help="What the device is called in the console (default: the points' slugs).")
@with_appcontext
def device_token_command(fair_slug: str, point_slugs: tuple[str, ...], name: str | None) -> None:
    """Issue a device token for some of a fair's check-in points; it is printed once, keep it safe."""
    fair = db.session.scalar(sa.select(Fair).where(Fair.slug == fair_slug))
    if fair is None:
        raise click.ClickException(f"no fair with the slug {fair_slug!r}")
    points = db.session.scalars(sa.select(CheckinPoint).where(CheckinPoint.fair_id == fair.id,
                                                              CheckinPoint.slug.in_(point_slugs))).all()
    missing = sorted(set(point_slugs) - {point.slug for point in points})
    if missing:
        raise click.ClickException(f"no check-in point {', '.join(missing)} in {fair_slug}")
    try:
        device, token = checkins.issue_device(fair, name or "cli: " + ", ".join(point_slugs), list(points),
                                              actor=None)
    except Refused as refusal:
        raise click.ClickException(f"{refusal.code}: {refusal.message}") from None
    click.echo(f"Device {device.id} ({device.name}) for {', '.join(sorted(point_slugs))}:", err=True)
    click.echo(token)
