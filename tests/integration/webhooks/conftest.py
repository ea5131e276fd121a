"""Helpers for the webhook and notification tests: a connected resource, events, signatures."""

from __future__ import annotations
