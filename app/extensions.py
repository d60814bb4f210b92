"""Extensions, created unbound here and bound to the app in `create_app`."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import Babel, lazy_gettext
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.content import Course, DataRegister, load_course, load_register


class Base(DeclarativeBase):
    # Named constraints, so Alembic can alter them later (SQLite batch mode needs names).
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class CourseContent:
    """Holds the app's data register and its one loaded Course; replacing the course is a
    single reference swap."""

    def init_app(self, app: Flask) -> None:
        register = load_register(app.config["DATA_REGISTER"])
        app.extensions["register"] = register
        app.extensions["course"] = load_course(app.config["LESSONS_DIR"], register)

    @property
    def course(self) -> Course:
        return current_app.extensions["course"]

    @property
    def register(self) -> DataRegister:
        return current_app.extensions["register"]


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
content = CourseContent()

login_manager.login_view = "account.login"
login_manager.login_message = lazy_gettext("Please sign in to continue.")
login_manager.login_message_category = "info"
