"""Schemathesis hooks: how to write the request bodies it has no serializer for."""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """An import's NDJSON body: the document describes one record; a list is many records."""
    records = value if isinstance(value, list) else [value]
    return "".join(json.dumps(record) + "\n" for record in records).encode()
