"""Hostile characters stop at the edge: control characters never reach a query or a page.

A NUL byte cannot be stored by PostgreSQL (psycopg raises DataError), and other control
characters in a name or an email are never what a person meant. Two mechanisms, each for one
kind of input:

- every Flask-WTF form in the app derives from `AppForm`, which gives each text field an inline
  error for control characters before any other validation runs, so the person sees which field
  to fix (tab, line feed and carriage return stay allowed: text areas need them);
- URL paths and query strings are not typed into a form: a control character in a path answers
  404 (no route or id has one), and in a page's query string 400, before any view or query
  runs. The JSON API families check their own query parameters, answering their documented
  validation error.
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask_wtf import FlaskForm

from app.errors import checked_by_api_family
from app.json_limits import has_control_character

CONTROL_CHARACTERS_MESSAGE = "Remove the control characters (such as NUL) from this field."


class AppForm(FlaskForm):
    """The base of every form: CSRF from Flask-WTF, and no control characters in text fields."""

    def validate(self, extra_validators: dict | None = None) -> bool:
        """Refuse control characters field by field, then run the form's own validators.

        A field that holds one gets only that error: its other validators (and anything that
        would query the database with the value) never see it.
        """
        hostile = {
            name
            for name, field in self._fields.items()
            if isinstance(field.data, str) and has_control_character(field.data)
        }
        if not hostile:
            return super().validate(extra_validators)
        for name in hostile:
            self._fields[name].errors = [CONTROL_CHARACTERS_MESSAGE]
        return False


def init_app(app: Flask) -> None:
    """Check every request's path and query string before it reaches a view."""

    @app.before_request
    def refuse_control_characters_in_urls() -> None:
        if checked_by_api_family():  # its path and query models answer its documented errors
            return
        if has_control_character(request.path):
            abort(404)
        for key, value in request.args.items(multi=True):
            if has_control_character(key) or has_control_character(value):
                abort(400)
