"""Accounts: register, sign in, sign out."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from app.account import joining, profile, security, views  # noqa: E402, F401  (views register themselves on bp)
