"""String types shared by both families' models: no control characters, as the parser enforces."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

# Matches `app.json_limits`: C0 controls other than tab, line feed and carriage return, and DEL.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Text = Annotated[str, StringConstraints(pattern=NO_CONTROL_CHARACTERS)]
NonEmptyText = Annotated[str, StringConstraints(pattern=NO_CONTROL_CHARACTERS, min_length=1)]
