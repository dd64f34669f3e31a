"""The `fair` console script: Flask's CLI with our commands (`fair demo`, `fair db upgrade`, ...)."""
import time

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from fair.i18n import i18n_command
from fair.jobs.cli import jobs_command
from fair.maintenance_cli import backup_command, purge_personal_data_command, restore_command
from fair.messages.cli import messages_command
from fair.refusal import Refused
from fair.visitors.cli import visitors_command


def _create_app():
    from fair import create_app
    return create_app()


cli = FlaskGroup(name="fair", create_app=_create_app, help="Fair: exhibition and project-fair management.")


def main() -> None:
    cli.main(prog_name="fair")


@click.command("demo")
@click.option("--scale", type=click.Choice(["small", "seed"]), default="small", show_default=True,
              help="small: a handful of everything; seed: the real fair's size.")
@click.option("--serve/--no-serve", default=True, show_default=True, help="Serve the console afterwards.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def demo_command(scale: str, serve: bool, host: str, port: int) -> None:
    """Create or upgrade the database, load the demo fair and serve it."""
    from fair.demo import DEMO_PASSWORD, build_demo

    upgrade()
    started = time.perf_counter()
    result = build_demo(scale, progress=lambda message: click.echo(f"  {time.perf_counter() - started:6.1f} s  {message}"))
    click.echo("")
    click.echo(click.style(f"演示展会 Demo fair: {result.fair.name}", bold=True))
    click.echo(f"  {'created' if result.created else 'already present'}; phase: {result.fair.phase.value}")
    click.echo(f"演示账号 Demo log-ins (password / 密码: {DEMO_PASSWORD}):")
    for email, role in result.logins:
        click.echo(f"  {role:<26} {email}")
    if serve:
        app = current_app._get_current_object()
        # Plain HTTP on this machine: a Secure cookie would never come back, so log-in would fail.
        app.config.update(SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
        click.echo(f"\nServing on http://{host}:{port}  (Ctrl+C to stop)")
        run_simple(host, port, app, threaded=True)


@click.command("create-organizer")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
@with_appcontext
def create_organizer_command(email: str, name: str, password: str) -> None:
    """Create a platform administrator, who can create fair editions."""
    from fair.auth.services import create_user

    try:
        user = create_user(email, name, password, is_admin=True)
    except Refused as refusal:
        raise click.ClickException(f"{refusal.code}: {refusal.message}") from None
    click.echo(f"Created organizer {user.email}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(create_organizer_command)
    app.cli.add_command(i18n_command)
    app.cli.add_command(messages_command)
    app.cli.add_command(visitors_command)
    app.cli.add_command(jobs_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(purge_personal_data_command)
