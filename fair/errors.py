"""Error pages in both languages, and JSON errors under /api/."""
import logging

from flask import Flask, jsonify, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from fair.auth.permissions import wants_json
from fair.extensions import db

log = logging.getLogger(__name__)

TITLES = {
    400: _l("请求无效"),
    401: _l("需要登录"),
    403: _l("无权访问"),
    404: _l("页面不存在"),
    405: _l("不支持的请求方式"),
    413: _l("上传的文件太大"),
    422: _l("参数无效"),
    429: _l("操作太频繁"),
    500: _l("服务器出错了"),
}
MESSAGES = {
    400: _l("请求的内容无法处理，请返回后重试。"),
    401: _l("请先登录。"),
    403: _l("您没有权限查看此页面。"),
    404: _l("您要找的页面不存在或已被移除。"),
    405: _l("此地址不接受这种请求。"),
    413: _l("文件超过了允许的大小上限，请压缩后重新上传。"),
    422: _l("请求的参数无效，请检查后重试。"),
    429: _l("尝试次数过多，请稍后再试。"),
    500: _l("出现了意外错误，我们已记录下来。请稍后再试。"),
}


def _answer(code: int, message: str, error_code: str | None = None):
    if wants_json():
        body = {"code": error_code or str(code), "message": message}
        return jsonify(body), code
    title = TITLES.get(code, TITLES[500])
    return render_template("errors/error.html", code=code, title=title, message=message), code


def handle_http_exception(error: HTTPException):
    code = error.code or 500
    # A reason given on purpose (abort(403, description=...)) is shown; Werkzeug's English default is not.
    default = type(error).description
    message = error.description if error.description and error.description != default else MESSAGES.get(code)
    return _answer(code, str(message or MESSAGES[500]))


def handle_csrf_error(error: CSRFError):
    return _answer(400, str(_l("表单已过期或校验失败，没有保存任何内容。请刷新页面后重新提交。")), "csrf")


def handle_unexpected(error: Exception):
    db.session.rollback()
    log.exception("unhandled error", exc_info=error)
    return _answer(500, str(MESSAGES[500]))


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
