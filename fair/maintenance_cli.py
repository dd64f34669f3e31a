"""`fair backup`, `fair restore` and `fair purge-personal-data`: the operator's maintenance commands."""
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from fair.extensions import db
from fair.refusal import Refused


@click.command("backup")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="The folder to write (default: <instance>/backups/fair-<UTC time>).")
@with_appcontext
def backup_command(out: Path | None) -> None:
    """Back up the database (online: the app may keep running), uploaded files and job results."""
    from fair import backup

    app = current_app._get_current_object()
    try:
        folder = backup.backup(app, out)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    manifest = backup.read_manifest(folder)
    click.echo(f"Backed up to {folder}")
    click.echo(f"  migration {manifest['alembic_revision']}, {sum(manifest['row_counts'].values())} rows, "
               f"{len(manifest['files'])} files")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-older", is_flag=True,
              help="Restore even though the database has newer migrations than the backup.")
@with_appcontext
def restore_command(path: Path, yes: bool, allow_older: bool) -> None:
    """Replace the database, uploaded files and job results with a backup's. Stop the app first."""
    from fair import backup

    app = current_app._get_current_object()
    try:
        manifest = backup.read_manifest(path)
        backup.verify(path, manifest)
        checked = backup.check(app, manifest)
        if checked.target_is_newer and not allow_older:
            raise backup.BackupError(
                f"The database is at migration {checked.target_revision}, newer than the backup's "
                f"{checked.backup_revision}. Restore anyway with --allow-older, then run `fair db upgrade`.")
        target = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
        click.echo(f"Backup of {manifest['created_at']} (migration {checked.backup_revision}) "
                   f"→ {target} and {app.config['FAIR_UPLOAD_DIR']}")
        if not yes:
            click.confirm("Everything there now is replaced. Go on?", abort=True)
        backup.restore(app, path, allow_older=allow_older)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo("Restored.")
    if checked.target_is_newer:
        click.echo("The backup is older than this code: run `fair db upgrade` now.")


@click.command("purge-personal-data")
@click.option("--fair", "slug", required=True, help="The closed fair's slug.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def purge_personal_data_command(slug: str, yes: bool) -> None:
    """After a fair: remove visitors' names and phone numbers and the fair's contact details, keeping every count."""
    from fair.fairs.models import Fair
    from fair.privacy import purge_personal_data

    fair = db.session.scalar(sa.select(Fair).where(Fair.slug == slug))
    if fair is None:
        raise click.ClickException(f"No fair with the slug {slug!r}.")
    if not yes:
        click.confirm(f"Remove the personal data of {fair.name}? This cannot be undone.", abort=True)
    try:
        purged = purge_personal_data(fair, actor=None)
    except Refused as refusal:
        raise click.ClickException(f"{refusal.code}: {refusal.message}") from None
    if not purged.changed:
        click.echo("Nothing left to remove.")
        return
    for name, count in vars(purged).items():
        click.echo(f"  {name.replace('_', ' ')}: {count}")
