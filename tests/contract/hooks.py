"""Schemathesis hooks: how to write the request bodies it has no serializer for, and the rules a
JSON Schema cannot state, applied to the requests it generates as valid.

`positive_data_acceptance` asserts that every request the document allows is accepted. A few
rules depend on the records that exist or join two fields, which a schema cannot say (each is
in the operation's description or docs/API.md, and refused with a 422 that names the field,
which the API tests check). A valid request generated at random breaks them by chance, so
`map_case` makes the generated valid requests keep them, as a real client does: it names
regions and records that exist, dates its records where a life has them (in the past, a
child's birth within five years of its measurements), writes a CSV's header, mints a new
`Idempotency-Key` for each new request, pages with the cursors lists hand out, and orders its
ranges. Requests generated as invalid are sent as drawn (except the half of the creates below
that land on real regions, see `REAL`)."""

import datetime
import json
import uuid
import zlib

import schemathesis

TIERS = ["province", "district", "subdistrict", "village", "posyandu"]

# Regions and records the demo data (`stunting-api demo load`: Kabupaten Kampar, 14.01) and the
# migrations (intervention types) hold.
REAL = {"village_code": "14.01.01.2009", "region_code": "14.01", "district_code": "14.01", "scope": "14.01",
        "province_code": "14", "fiscal_year": 2025, "village_codes": ["14.01.01.2009"],
        "type_code": "growth_monitoring"}

# Creates whose records the document links to the operations on them (src/api/openapi/links.rs):
# half of the drawn bodies, valid or not, are pointed at Kampar so the stateful phase reaches
# real records; invalid ones keep what made them invalid apart from these fields.
CREATES = {"/api/v1/children", "/api/v1/people", "/api/v1/interventions", "/api/v1/budgets", "/api/v1/teams",
           "/api/v1/agencies", "/api/v1/users", "/api/v1/regions"}

# Statistics of a period: a `year`, or a range of months `from`..`to`.
PERIOD_STATS = {f"/api/v1/stats/{name}" for name in ("cases", "data-quality", "interventions", "pathway", "prevalence",
                                                      "skdn")}

# The months of each kind of period a statistic's series may have.
PERIOD_MONTHS = {"month": 1, "quarter": 3, "semester": 6, "year": 12}

# Ranges a request gives as two fields or parameters: the end is never before the start.
RANGES = [("from", "to"), ("born_from", "born_to"), ("opened_from", "opened_to"), ("resolved_from", "resolved_to"),
          ("period_start", "period_end"),
          ("visited_on", "next_visit_on"), ("screened_on", "wedding_planned_on")]

# Days a generated body may name, as a client's records do: the service refuses a day in the
# future, a child's birth more than five years before its measurements, a person's events
# before their tenth birthday. Every date a valid body gives is moved into the window its
# field belongs to (the same date always to the same day): children born 2022-06..2024-05,
# people 1975..2004, and everything else from 2024-06 to two days ago (the service's today
# may be in a later time zone).
EVENTS = (datetime.date(2024, 6, 1), datetime.date.today() - datetime.timedelta(days=2))
CHILDREN_BORN = (datetime.date(2022, 6, 1), datetime.date(2024, 5, 31))
PEOPLE_BORN = (datetime.date(1975, 1, 1), datetime.date(2004, 12, 31))

# Record ids a generated body names at random: none exists, so a valid request leaves the
# optional ones out (`REAL` covers the regions).
RANDOM_REFERENCES = {"posyandu_id", "agency_id", "assigned_team_id", "mother_id", "father_id", "intervention_id",
                     "budget_line_ids"}


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
        months = PERIOD_MONTHS.get(query.get("period"))
        if months and "from" in query and "to" in query:
            # A series of periods starts and ends on their boundaries.
            first, last = int(query["from"][5:7]), int(query["to"][5:7])
            query["from"] = f"{query['from'][:4]}-{(first - 1) // months * months + 1:02}"
            query["to"] = f"{query['to'][:4]}-{((last - 1) // months + 1) * months:02}"
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


def _in_window(text, window):
    """A date (`2025-03-01`) or month (`2025-03`) moved into `window`, the same text to the same day."""
    try:
        day = datetime.date.fromisoformat(text if len(text) == 10 else text + "-01")
    except (TypeError, ValueError):
        return text
    start, end = window
    moved = start + datetime.timedelta(days=(day - datetime.date(1970, 1, 1)).days % ((end - start).days + 1))
    return moved.isoformat()[:len(text)]


def _dated(value, window):
    """`value` with every date or month (at any depth) in `window`."""
    if isinstance(value, str) and len(value) in (7, 10) and value[4:5] == "-":
        return _in_window(value, window)
    if isinstance(value, dict):
        return {key: _dated(item, window) for key, item in value.items()}
    if isinstance(value, list):
        return [_dated(item, window) for item in value]
    return value


def _real_dates(path, body):
    """`body` (a record, or a list of them) with its days where a client's records have them."""
    if isinstance(body, list):
        return [_real_dates(path, item) for item in body]
    if not isinstance(body, dict):
        return body
    births = CHILDREN_BORN if path.startswith(("/api/v1/children", "/api/v1/imports/children")) else PEOPLE_BORN
    return {key: _dated(value, births if key == "birth_date" else EVENTS) for key, value in body.items()}


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


DOCUMENT = json.load(open("openapi/openapi.json"))


def _csv_columns(path):
    """The columns an import's CSV must have: the fields its NDJSON record requires."""
    content = DOCUMENT["paths"][path]["post"]["requestBody"]["content"]
    record = content["application/x-ndjson"]["schema"]["$ref"].split("/")[-1]
    return DOCUMENT["components"]["schemas"][record]["required"]


def _keep_rules(case):
    """`case` as a client that keeps the rules above would send it."""
    if isinstance(case.query, dict):
        case.query = _valid_query(case.operation.path, case.query)
    case.body = _valid_body(_real_dates(case.operation.path, case.body))
    _keep_operation_rules(case)


def _keep_operation_rules(case):
    """The rules of one operation, or of its path parameters, that join the body to the records."""
    path = case.operation.path
    if case.method == "PATCH" and isinstance(case.body, dict):
        for start, end in RANGES:
            ends = [field for field in (start, end) if isinstance(case.body.get(field), str)]
            if len(ends) == 1:
                # One end of a range moved alone must stay on its side of the record's other end,
                # which a client knows and this hook does not: it moves both or neither.
                case.body.pop(ends[0])
    if case.path_parameters and "district" in case.path_parameters:
        # Lokus villages and convergence actions are a district's: the one whose villages exist.
        case.path_parameters["district"] = REAL["district_code"]
    if path.endswith("/retire") and isinstance(case.body, dict) and isinstance(case.body.get("replaced_by"), list):
        # A region is not its own successor.
        case.body["replaced_by"] = [code for code in case.body["replaced_by"] if code != case.path_parameters["code"]]
    if path.startswith("/api/v1/lokus/") and isinstance(case.body, dict) and isinstance(case.body.get("villages"), list):
        case.body["villages"] = case.body["villages"][:1]  # each village once (all are Kampar's one)
    if path.startswith("/api/v1/imports/") and case.media_type == "text/csv" and isinstance(case.body, str):
        # A CSV file starts with its header, and each line has its fields (a quote left open or a
        # line of another length breaks the whole file, a 400, as docs/API.md says); what the
        # fields hold is judged record by record in the summary.
        columns = _csv_columns(path)
        lines = case.body.replace('"', "").replace(",", "").splitlines()
        case.body = "\n".join([",".join(columns)] + [line + "," * (len(columns) - 1) for line in lines]) + "\n"
    if path == "/api/v1/regions" and isinstance(case.body, dict) and isinstance(case.body.get("code"), str):
        # A new region's parent exists: the code continues one of Kampar's.
        parts = case.body["code"].split(".")
        case.body["code"] = ".".join(REAL["village_code"].split(".")[:len(parts) - 1] + parts[-1:])
    if case.method == "PATCH" and path == "/api/v1/teams/{id}" and isinstance(case.body, dict):
        members = case.body.get("members")
        if isinstance(members, list) and members:
            # The team may be a TPK: three members, one of each of its roles (fits any kind).
            members = (members * 3)[:3]
            case.body["members"] = [dict(member, role=role) for member, role in
                                    zip(members, ["midwife", "pkk_cadre", "family_planning_cadre"])]
    if case.method == "PATCH" and path == "/api/v1/users/{id}" and isinstance(case.body, dict):
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
            case.body = _real_dates(operation.path, _without_nul({key: REAL.get(key, value)
                                                                  for key, value in case.body.items()}))
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
