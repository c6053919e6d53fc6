"""FHIR R4 conformance of every kind of Bundle the service writes, checked by fhir.resources.

Usage: fhir_check.py BASE_URL ADMIN_PASSWORD

Against the demo data and records of every kind made here: each region Bundle (growth and antenatal, collection and transaction,
following every `next` link of a cut one) and one person's Bundles are parsed into
fhir.resources models, which validate every element's type, cardinality and value set binding
they hold, and reject unknown elements. fhir.resources does not check codes against their value
sets, so `REQUIRED_BINDINGS` checks the codes FHIR binds as required, and no array may be empty.
fhir.resources 6.5 models FHIR 4.3 (R4B), whose Bundle, Patient, Location,
Encounter and Observation are R4's (4.0.1) for every element we write. Our SATUSEHAT checks
(codes, identifiers, references resolving inside the Bundle) are in tests/api/fhir.rs.
"""

import json
import random
import sys
import urllib.parse
import urllib.request

from fhir.resources.bundle import Bundle

base, password = sys.argv[1], sys.argv[2]


def call(method, path, token=None, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/fhir+json, application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    with urllib.request.urlopen(request) as response:
        return response.headers, json.load(response)


_, login = call("POST", "/api/v1/auth/token", body={"grant_type": "password", "username": "admin", "password": password})
token = login["access_token"]
counts = {"bundles": 0, "entries": 0}

# FHIR R4's required value sets, for the coded elements we write: (resource, path) -> codes.
REQUIRED_BINDINGS = {
    ("Bundle", "type"): {"document", "message", "transaction", "transaction-response", "batch",
                         "batch-response", "history", "searchset", "collection"},
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("Location", "status"): {"active", "suspended", "inactive"},
    ("Location", "mode"): {"instance", "kind"},
    ("Encounter", "status"): {"planned", "arrived", "triaged", "in-progress", "onleave", "finished",
                              "cancelled", "entered-in-error", "unknown"},
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                                "entered-in-error", "unknown"},
}


def bindings(kind, resource):
    for (of, field), codes in REQUIRED_BINDINGS.items():
        if of == kind and field in resource:
            assert resource[field] in codes, f"{kind}.{field} = {resource[field]!r}"


def no_empty_arrays(value, where="Bundle"):
    if isinstance(value, dict):
        for name, item in value.items():
            no_empty_arrays(item, f"{where}.{name}")
    elif isinstance(value, list):
        assert value, f"{where} is an empty array"
        for item in value:
            no_empty_arrays(item, where)
kinds = set()


def check(path):
    """Validates the Bundle at `path` and every one its `next` links lead to."""
    while path:
        headers, document = call("GET", path, token)
        assert headers["Content-Type"] == "application/fhir+json", headers["Content-Type"]
        bundle = Bundle.parse_obj(document)
        no_empty_arrays(document)
        bindings("Bundle", document)
        for entry in document.get("entry", []):
            bindings(entry["resource"]["resourceType"], entry["resource"])
            if "request" in entry:
                assert entry["request"]["method"] == "POST", entry["request"]
        counts["bundles"] += 1
        for entry in bundle.entry or []:
            counts["entries"] += 1
            kinds.add(entry.resource.resource_type)
        links = [link.url for link in bundle.link or [] if link.relation == "next"]
        path = links[0] if links else None


# Records of every kind a Bundle holds, whatever the walk-through left: a child weighed lying and
# standing (one of them voided) with an IHS number, so a transaction refers to SATUSEHAT's
# Patient, and a woman with an antenatal visit that measured weight, LiLA and Hb.
VILLAGE = "14.01.01.2009"
_, child = call("POST", "/api/v1/children", token, {
    "village_code": VILLAGE, "sex": "male", "birth_date": "2022-11-02", "name": "Budi Santoso"})
child_id = child["id"]
for on, cm, kg, position in (("2024-10-01", 79.5, 9.9, "lying"), ("2025-01-06", 84.0, 10.8, "standing")):
    _, weighed = call("POST", f"/api/v1/children/{child_id}/measurements", token, {
        "measured_on": on, "length_cm": cm, "weight_kg": kg, "position": position, "place": "posyandu"})
call("DELETE", f"/api/v1/children/{child_id}/measurements/{weighed['id']}", token, {"reason": "entered twice"})
ihs_number = "P" + "".join(random.choice("0123456789") for _ in range(11))
call("PATCH", f"/api/v1/children/{child_id}", token, {"ihs_number": ihs_number}, {"If-Match": '"1"'})
_, woman = call("POST", "/api/v1/people", token, {
    "village_code": VILLAGE, "sex": "female", "birth_date": "1999-04-09", "name": "Rina Wati"})
_, pregnancy = call("POST", f"/api/v1/people/{woman['id']}/pregnancies", token, {"lmp_on": "2025-01-06"})
call("POST", f"/api/v1/pregnancies/{pregnancy['id']}/anc-visits", token, {
    "visited_on": "2025-03-03", "examiner": "midwife", "iron_tablets": 30, "weight_kg": 47.0,
    "muac_cm": 22.5, "hb_g_dl": 10.4})

for kind in ("collection", "transaction"):
    check(f"/api/v1/fhir/growth?type={kind}&limit=200")
    check(f"/api/v1/fhir/antenatal?type={kind}&limit=200")
    check(f"/api/v1/fhir/children/{child_id}?type={kind}")
    check(f"/api/v1/fhir/people/{woman['id']}?type={kind}")

assert kinds == {"Patient", "Location", "Encounter", "Observation"}, kinds
print(f"fhir: {counts['bundles']} Bundles, {counts['entries']} entries, valid FHIR R4 (fhir.resources 6.5.0)")
