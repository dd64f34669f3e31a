"""Messages to organisations: an outbox sent by SMTP when configured, always readable in the console inbox."""
