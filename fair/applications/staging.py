"""An import's upload kept between the dry run and the confirmation, without trusting the browser with it.

The file goes to the instance folder under a random name; only that name travels, in the signed session
cookie (which the client cannot forge) and in the confirmation form, and the two must agree, so the
file confirmed is the one whose report the person saw. The commit checks the file again in full."""
import re
import secrets
import time
from pathlib import Path

from flask import current_app, session

FOLDER = "imports"
KEEP_SECONDS = 6 * 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def _folder() -> Path:
    folder = Path(current_app.instance_path) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _key(fair) -> str:
    return f"import:{fair.id}"


def stage(fair, content: bytes, filename: str) -> str:
    """Keep the upload for this session and fair, replacing an earlier one; returns its token."""
    _sweep()
    discard(fair)
    token = secrets.token_urlsafe(24)
    (_folder() / f"{token}.upload").write_bytes(content)
    session[_key(fair)] = {"token": token, "name": filename[:120]}
    return token


def staged(fair, token: str) -> tuple[bytes, str] | None:
    """The content and file name kept under `token`, if this session staged it for this fair and it is still there."""
    entry = session.get(_key(fair)) or {}
    if not TOKEN.match(token or "") or entry.get("token") != token:
        return None
    path = _folder() / f"{token}.upload"
    return (path.read_bytes(), entry.get("name", "")) if path.is_file() else None


def discard(fair) -> None:
    entry = session.pop(_key(fair), None) or {}
    if TOKEN.match(entry.get("token") or ""):
        (_folder() / f"{entry['token']}.upload").unlink(missing_ok=True)


def _sweep() -> None:
    """Uploads never confirmed are removed after KEEP_SECONDS."""
    oldest = time.time() - KEEP_SECONDS
    for path in _folder().glob("*.upload"):
        if path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)
