"""Schemathesis hooks: how to write the request bodies it has no serializer for, and the rules a
JSON Schema cannot state, applied to the requests it generates as valid.

`positive_data_acceptance` asserts that every request the document allows is accepted. A few
rules depend on the records that exist or join two fields, which a schema cannot say (each is
in the operation's description or docs/API.md, and refused with a 422 that names the field,
which the API tests check). A valid request generated at random breaks them by chance, so
`map_case` makes the generated valid requests keep them, as a real client does: it names
regions and records that exist, mints a new `Idempotency-Key` for each new request, pages with
the cursors lists hand out, and orders its ranges. Requests generated as invalid are sent as
drawn (except the half of the creates below that land on real regions, see `REAL`)."""

import datetime
import json
import uuid
import zlib

import schemathesis

TIERS = ["province", "district", "subdistrict", "village", "posyandu"]

# Regions and dates the demo data holds (`stunting-api demo load`: Kabupaten Kampar, 14.01).
REAL = {"village_code": "14.01.01.2009", "region_code": "14.01", "district_code": "14.01", "scope": "14.01",
        "province_code": "14", "birth_date": "2024-06-01", "fiscal_year": 2025,
        "village_codes": ["14.01.01.2009"]}

# Creates whose records the document links to the operations on them (src/api/openapi/links.rs):
# half of the drawn bodies, valid or not, are pointed at Kampar so the stateful phase reaches
# real records; invalid ones keep what made them invalid apart from these fields.
CREATES = {"/api/v1/children", "/api/v1/people", "/api/v1/interventions", "/api/v1/budgets", "/api/v1/teams",
           "/api/v1/agencies", "/api/v1/users", "/api/v1/regions"}

# Statistics of a period: a `year`, or a range of months `from`..`to`.
PERIOD_STATS = {f"/api/v1/stats/{name}" for name in ("cases", "data-quality", "interventions", "pathway", "prevalence",
                                                      "skdn")}

# Ranges a request gives as two fields or parameters: the end is never before the start.
RANGES = [("from", "to"), ("born_from", "born_to"), ("opened_from", "opened_to"), ("resolved_from", "resolved_to"),
          ("period_start", "period_end")]

# Record ids a generated body names at random: none exists, so a valid request leaves the
# optional ones out (`REAL` covers the regions).
RANDOM_REFERENCES = {"posyandu_id", "agency_id", "assigned_team_id", "mother_id", "father_id", "intervention_id"}


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """An import's NDJSON body: the document describes one record; a list is many records."""
    records = value if isinstance(value, list) else [value]
    return "".join(json.dumps(record) + "\n" for record in records).encode()


def _drawn_half(body):
    # crc32 rather than hash(): the same body takes the same half on every run.
    return zlib.crc32(json.dumps(body, sort_keys=True, default=str).encode()) % 2


def _real_regions(value):
    """`value` with every region field (at any depth) naming a region the demo data holds."""
    if isinstance(value, dict):
        return {key: REAL[key] if key in REAL else _real_regions(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_real_regions(item) for item in value]
    return value


def _moment(text):
    """A date, month or instant as a value that orders as time does (digits of a fraction vary)."""
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text  # a month (`2025-03`): its text orders as time


def _ordered(fields):
    """`fields` with each range's end after its start."""
    for start, end in RANGES:
        low, high = fields.get(start), fields.get(end)
        if not (isinstance(low, str) and isinstance(high, str)):
            continue
        try:
            later = _moment(low) >= _moment(high)
        except TypeError:  # an instant beside a date: not a pair this document has
            continue
        if later:
            if _moment(low) == _moment(high):
                fields.pop(end)  # the audit trail's `to` is after `from`: an open end instead
            else:
                fields[start], fields[end] = high, low
    return fields


def _valid_query(path, query):
    query = _without_nul(dict(query))
    # A cursor is one a list handed out (the stateful phase follows `next_cursor`), never drawn.
    query.pop("cursor", None)
    _ordered(query)
    if path in PERIOD_STATS:
        # A statistic's period is a `year` or a range `from`..`to`, not both (docs/API.md).
        if "year" in query:
            query.pop("from", None)
            query.pop("to", None)
        elif not ("from" in query and "to" in query):
            query.pop("from", None)
            query.pop("to", None)
            query["year"] = 2025
        elif int(query["to"][:4]) - int(query["from"][:4]) >= 10:
            query["to"] = query["from"][:4] + "-12"  # a series holds at most 120 periods
    if path.startswith("/api/v1/stats/") and "level" in query:
        # Rows are of the region's tier or one below it; posyandu rows are a district's.
        region = query.get("region")
        tier = region.count(".") if isinstance(region, str) else 0
        level = query["level"]
        if level in TIERS and (TIERS.index(level) < tier or (level == "posyandu" and tier < 1)):
            query.pop("level")
    if path == "/api/v1/worklist" and not 2000 <= int(str(query.get("on", "2025"))[:4] or 0) <= 2100:
        query.pop("on")  # the day of a worklist lies in the years periods may name
    if path == "/api/v1/worklist":
        # A worklist is of exactly one village, posyandu or team.
        chosen = next((name for name in ("village", "posyandu", "team") if name in query), None)
        for name in ("village", "posyandu", "team"):
            if name != chosen:
                query.pop(name, None)
        if chosen in (None, "village"):
            query["village"] = REAL["village_code"]
    if path == "/api/v1/dhis2/dataValueSets" and "level" in query:
        # A `level` is at or beneath every org unit's tier (`national` is above the provinces).
        units = query.get("orgUnit") or []
        units = units if isinstance(units, list) else [units]
        tiers = [-1 if unit == "national" else str(unit).count(".") for unit in units]
        level = query["level"]
        if level not in TIERS or any(TIERS.index(level) < tier for tier in tiers):
            query.pop("level")
    if path == "/api/v1/agencies" and "district" not in query:
        # A caller above a district (the contract run signs in as a national admin) names one.
        query["district"] = REAL["district_code"]
    return query


def _sorted_numbers(body, fields):
    """`body` with the numbers in `fields`, where all are given, in ascending order."""
    values = [body.get(field) for field in fields]
    if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values):
        body.update(zip(fields, sorted(values)))


def _without_nul(value):
    """`value` with no NUL in any text: PostgreSQL cannot store one, so every field refuses it."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _valid_body(body):
    body = _without_nul(body)
    if isinstance(body, dict):
        body = {key: value for key, value in body.items() if key not in RANDOM_REFERENCES}
        if "person_id" in body and "child_id" in body:
            body.pop("child_id")  # a TPK visit is to a person or a child, not both
        # A survey figure: no more stunted children than measured, its interval holds it.
        _sorted_numbers(body, ["stunted_count", "measured_count"])
        _sorted_numbers(body, ["ci_low_pct", "stunting_pct", "ci_high_pct"])
        if "min_age_women" in body and body["min_age_women"] == body.get("max_age_women"):
            body["min_age_women"] -= 1  # a bride's age range is not empty (both bounds allow 30)
        body = _ordered(_real_regions(body))
        if body.get("kind") == "tpk":
            body["region_code"] = REAL["village_code"]  # a TPK is a village's
        if body.get("role") == "cadre":
            body["scope"] = REAL["village_code"]  # a cadre's scope is a village
        return body
    if isinstance(body, list):
        return [_valid_body(item) for item in body]
    return body


def _keep_rules(case):
    """`case` as a client that keeps the rules above would send it."""
    if isinstance(case.query, dict):
        case.query = _valid_query(case.operation.path, case.query)
    case.body = _valid_body(case.body)
    if case.method == "PATCH" and case.operation.path == "/api/v1/users/{id}" and isinstance(case.body, dict):
        if "scope" in case.body and case.body.get("role") in (None, "cadre"):
            # The account's role is the one it has, perhaps a cadre's: a village fits every role.
            case.body["scope"] = REAL["village_code"]


@schemathesis.hook
def map_case(ctx, case):
    operation = case.operation
    if case.meta is not None and case.meta.generation.mode.is_positive:
        _keep_rules(case)
    elif operation.method.upper() == "POST" and operation.path in CREATES and isinstance(case.body, dict):
        if not _drawn_half(case.body):
            # Real regions may mend what made the body invalid: schemathesis then judges it as
            # valid, so it keeps the rules that hold for every text too.
            case.body = _without_nul({key: REAL.get(key, value) for key, value in case.body.items()})
    return case


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """A new request gets a new `Idempotency-Key`; the same request, the same key (a retry).

    Minted as the request leaves, not in `map_case`: the coverage phase copies an example's
    headers into its variations, and the stateful phase fills a link's values in afterwards, so
    a key made earlier would travel with a different request."""
    positive = case.meta is None or case.meta.generation.mode.is_positive
    if positive and case.path_parameters:
        # A link the stateful phase inferred from an answer's field that was `null` fills the
        # path with `None`; a client names a record by its id (one that may not exist: 404).
        for name, value in case.path_parameters.items():
            if value is None or value == "None":
                case.path_parameters[name] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{case.path}:{name}"))
    if case.headers and "Idempotency-Key" in case.headers and positive:
        # Keys in the order they are sent: the service fingerprints the bytes, so the same fields
        # in another order are another request.
        seen = json.dumps([case.method, case.formatted_path, case.query, case.body], default=str)
        case.headers["Idempotency-Key"] = str(uuid.uuid5(uuid.NAMESPACE_URL, seen))


@schemathesis.hook
def before_add_examples(ctx, examples):
    """The examples phase: the document's examples, their missing fields filled at random."""
    for case in examples:
        _keep_rules(case)
