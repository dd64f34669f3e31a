"""Extensions created here and bound in create_app, so no module needs a global app."""
import sqlalchemy as sa
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from marshmallow import Schema, fields
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class ApiErrorSchema(Schema):
    """What fair/errors.py answers under /api/, so the OpenAPI document describes the real body."""

    code = fields.String(required=True, metadata={"description": "the HTTP status, or a refusal's code"})
    message = fields.String(required=True, metadata={"description": "in the user's language"})


class FairApi(Api):
    """flask-smorest's Api without its catch-all JSON error handler: fair/errors.py answers
    JSON under /api/ and an HTML page everywhere else."""

    ERROR_SCHEMA = ApiErrorSchema

    def _register_error_handlers(self):
        pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
api = FairApi()
