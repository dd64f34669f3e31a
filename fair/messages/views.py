"""The inbox: an exhibitor reads its organisation's messages, anyone their own; opening one marks it read."""
import sqlalchemy as sa
from flask import Blueprint, abort, g, render_template
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from fair.auth.permissions import fair_role_required
from fair.extensions import db
from fair.messages import services
from fair.messages.models import Message
from fair.navigation import add_fair_nav
from fair.refusal import Refused

bp = Blueprint("messages", __name__, url_prefix="/fairs/<slug>")
PER_PAGE = 30


class InboxLabel:
    """The inbox's label in the fair's bar, with the unread count worked out when the bar is drawn."""

    def __str__(self) -> str:
        return _("消息")

    def __html__(self) -> str:
        count = services.unread_count(current_user, g.fair)
        if not count:
            return str(escape(str(self)))
        return Markup('{} <span class="badge rounded-pill text-bg-danger nav-count">{}'
                      '<span class="visually-hidden">{}</span></span>').format(str(self), count, _("条未读"))


add_fair_nav(70, InboxLabel(), "messages.inbox")


@bp.get("/inbox")
@fair_role_required()
def inbox(fair):
    query = (sa.select(Message).where(services.readable_by(current_user, fair))
             .order_by(Message.created_at.desc(), Message.id.desc()))
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template("messages/inbox.html", fair=fair, page=page)


@bp.get("/inbox/<int:message_id>")
@fair_role_required()
def show(fair, message_id: int):
    try:
        message = services.find_message(fair, current_user, message_id)
    except Refused:
        abort(404)
    services.mark_read(message, actor=current_user)
    return render_template("messages/message.html", fair=fair, message=message)
