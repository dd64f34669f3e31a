"""The demo builds thousands of rows one service call at a time; each call commits, and a commit
normally expires every loaded object, so the next call reads its fair, rubric and people again."""
from contextlib import contextmanager

from fair.extensions import db


@contextmanager
def kept_loaded():
    """Within the block, objects stay loaded across commits: the demo alone writes to its database, so
    what it loaded is still true after its own commits."""
    session = db.session()
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = True
