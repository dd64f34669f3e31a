"""The one permission helper every view uses: anonymous → log-in page (or 401 JSON), denied → 403 with the reason."""
from functools import wraps

import sqlalchemy as sa
from flask import abort, g, request
from flask_babel import gettext as _
from flask_login import current_user

from fair.auth.models import Role
from fair.extensions import db, login_manager
from fair.fairs.models import Fair


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def deny(reason: str):
    """Stop the request with a 403 whose page (or JSON body) says why."""
    abort(403, description=reason)


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)
    return wrapped


def admin_required(view):
    """Platform administrators only (they create fair editions)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            deny(_("只有平台管理员可以执行此操作。"))
        return view(*args, **kwargs)
    return wrapped


def fair_role_required(*roles: Role):
    """The view takes the fair from the URL's `slug` and gets it as `fair`; the user must hold
    one of `roles` in that fair (any role when none are named)."""

    def decorator(view):
        @wraps(view)
        def wrapped(slug: str, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            fair = db.session.scalar(sa.select(Fair).where(Fair.slug == slug))
            if fair is None:
                abort(404)
            g.fair = fair
            held = current_user.roles_in(fair)
            if not held:
                deny(_("您不是“%(fair)s”的成员。", fair=fair.name))
            if roles and not held & set(roles):
                deny(_("此页面仅限以下角色访问：%(roles)s。", roles="、".join(r.label for r in roles)))
            return view(fair=fair, **kwargs)
        return wrapped
    return decorator
