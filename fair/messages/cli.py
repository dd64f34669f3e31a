"""`fair messages send`: the e-mail outbox, run by hand or from cron."""
import click
from flask import current_app
from flask.cli import AppGroup

from fair.messages.outbox import SmtpSettings, send_outbox

messages_command = AppGroup("messages", help="Messages to organisations and people.")


@messages_command.command("send")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many (oldest first).")
def send_command(limit: int | None) -> None:
    """E-mail the messages not sent yet, through FAIR_SMTP_HOST."""
    try:
        settings = SmtpSettings.from_config(current_app.config)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if settings is None:
        click.echo("FAIR_SMTP_HOST is not set: no e-mail sent (messages are in the inbox only).")
        return
    try:
        result = send_outbox(settings, limit=limit)
    except OSError as error:       # smtplib's errors are OSErrors too
        raise click.ClickException(f"SMTP {settings.host}:{settings.port}: {error}") from None
    click.echo(f"Sent {result.sent} message(s) by e-mail.")
    if result.without_address:
        click.echo(f"{len(result.without_address)} message(s) have no recipient with an e-mail address "
                   "(an organisation without users); they stay unsent.")
    for message_id, answer in result.failed.items():
        click.echo(f"message {message_id} refused by the server: {answer}", err=True)
    if result.failed:
        raise click.exceptions.Exit(1)
