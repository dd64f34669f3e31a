"""WSGI entry point: gunicorn 'wsgi:app'."""
from fair import create_app

app = create_app()
