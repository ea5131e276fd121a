"""String types shared by both families' models: no control characters, as the parser enforces."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from app.json_limits import CONTROL_CHARACTERS

NO_CONTROL_CHARACTERS = f"^[^{CONTROL_CHARACTERS}]*$"

Text = Annotated[str, StringConstraints(pattern=NO_CONTROL_CHARACTERS)]
NonEmptyText = Annotated[str, StringConstraints(pattern=NO_CONTROL_CHARACTERS, min_length=1)]
