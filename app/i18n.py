"""Which language a request is in: the `/<lang>/` prefix, else the learner's saved choice,
else the browser's Accept-Language, else the course default."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, current_app, g, request, url_for
from flask_login import current_user
from werkzeug.routing import BaseConverter

from app.extensions import content, db
from app.services.accounts import remember_language


class LanguageConverter(BaseConverter):
    """Two lower-case letters; whether the course offers that language is checked later,
    so an unknown one gets a translated 404 rather than no route at all."""

    regex = "[a-z]{2}"


def preferred_language() -> str:
    """The language for a page whose URL does not name one."""
    languages = content.catalogue.languages
    saved = current_user.language if current_user.is_authenticated else None
    if saved in languages:
        return saved
    return (
        request.accept_languages.best_match(languages) or content.catalogue.default.default_language
    )


def current_language() -> str:
    """The language of this request's page: the one in its address, even when the address
    matches no page or not its method (an error page then speaks that language too)."""
    return g.get("lang") or _language_in_path() or preferred_language()


def _language_in_path() -> str | None:
    first_segment = request.path.split("/", 2)[1]
    return first_segment if first_segment in content.catalogue.languages else None


def _pull_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if not values or "lang" not in values:
        return
    language = values.pop("lang")
    if language not in content.catalogue.languages:
        abort(404)
    g.lang = language


def _add_language(endpoint: str, values: dict[str, Any]) -> None:
    if "lang" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = current_language()


def _save_language(response: Response) -> Response:
    """Remember the language of a page the learner was shown, for their next visit to `/`
    and their emails; an error page (a mistyped address, say) changes nothing."""
    language = g.get("lang")
    if (
        language
        and response.status_code < 400
        and current_user.is_authenticated
        and current_user.language != language
    ):
        remember_language(db.session, current_user, language)
    return response


def switch_language_url(language: str) -> str:
    """This page in another language, or that language's course page when there is none."""
    endpoint = _page_endpoint()
    if endpoint and "lang" in _endpoint_arguments(endpoint):
        arguments = {**request.args.to_dict(), **(request.view_args or {}), "lang": language}
        # The page to go on to after signing in switches language too.
        prefix = f"/{current_language()}/"
        if arguments.get("next", "").startswith(prefix):
            arguments["next"] = f"/{language}/{arguments['next'].removeprefix(prefix)}"
        return url_for(endpoint, **arguments)
    return url_for("learn.home", lang=language)


def _page_endpoint() -> str | None:
    """The endpoint that shows this page when opened: the request's own, or for a page made
    in answer to a form sent to an address that only takes forms (a quiz with questions
    left), the lesson the form belongs to."""
    endpoint = request.endpoint
    if endpoint is None:
        return None
    if request.method == "GET" or any(
        "GET" in (rule.methods or ()) for rule in current_app.url_map.iter_rules(endpoint)
    ):
        return endpoint
    if endpoint.startswith("learn.") and "slug" in (request.view_args or {}):
        return "learn.lesson"
    return None


def _endpoint_arguments(endpoint: str) -> set[str]:
    return {
        argument for rule in current_app.url_map.iter_rules(endpoint) for argument in rule.arguments
    }


def init_app(app: Flask) -> None:
    """Register the `lang` URL converter and the hooks that fill and check it."""
    app.url_map.converters["lang"] = LanguageConverter
    app.url_value_preprocessor(_pull_language)
    app.url_defaults(_add_language)
    app.after_request(_save_language)
