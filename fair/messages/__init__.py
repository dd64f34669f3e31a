"""Messages to organisations and people: the inbox always, e-mail through an outbox when SMTP is configured."""
