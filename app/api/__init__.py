"""The JSON APIs: `/v1` (seed 000, personal API tokens) and `/web/v1` (seed 004, JWTs).

Each family is a subpackage: `routes` (a blueprint whose views raise domain exceptions),
`models` (Pydantic v2 models of request bodies, query strings and answers) and `errors` (one
table: exception → status, code, message, registered in a loop by `families`). `openapi`
generates the OpenAPI 3.1 document from the models and the tables.

Why Pydantic v2 itself rather than spectree or flask-openapi3: both wrap routes and answer
validation errors in their own shapes, while seed 000 and seed 004 fix our two envelopes and
field orders exactly; the document's error answers come from our tables, not from a library's
defaults; and Pydantic's JSON Schema is 2020-12, OpenAPI 3.1's own dialect, so the schemas go
into the document as generated. What these libraries would add — route decorators wiring a
model to a view — is four `validated(...)` calls here.

`app/serializers.py` stays outside: partner notifications send the same seed 000 objects.
"""

from app.api.v1.routes import bp as v1_bp
from app.api.web_v1.routes import bp as web_v1_bp

BLUEPRINTS = [web_v1_bp, v1_bp]
