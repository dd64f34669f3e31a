"""The two forms of the applications import: the upload (dry run) and its confirmation."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField


class ImportUploadForm(FlaskForm):
    file = FileField(_l("申报表文件"), validators=[
        FileRequired(_l("请选择要导入的文件。")),
        FileAllowed(["xlsx", "csv"], _l("请上传 Excel（.xlsx）或 CSV 文件。"))],
        description=_l("Excel（.xlsx）或 CSV（UTF-8 或 GBK 编码），第一行为列名，列名与模板一致。"))


class ImportConfirmForm(FlaskForm):
    token = HiddenField()
