#!/usr/bin/env python3
"""The README's curl walk-through, through a client generated from openapi/openapi.json by
openapi-python-client. The generated models parse every answer (and reject an enum value the
document does not list), and the client raises on any status the document does not list, so
a walk that ends is a walk the document describes truthfully.

    python tests/contract/walkthrough.py http://127.0.0.1:8080 'the admin password'

Expects a fresh service with the demo data loaded (`stunting-api demo load`).
"""
import sys
import uuid
from datetime import date

from stunting_api_client import AuthenticatedClient, Client
from stunting_api_client.api.auth import token
from stunting_api_client.api.budgets import list_budgets
from stunting_api_client.api.cases import list_cases, update_case
from stunting_api_client.api.children import create_child, update_child
from stunting_api_client.api.people import create_person, create_screening, get_continuum
from stunting_api_client.api.posyandu import create_posyandu
from stunting_api_client.api.pregnancies import create_anc_visit, create_pregnancy, record_pregnancy_outcome
from stunting_api_client.api.teams import create_team
from stunting_api_client.api.tpk_visits import create_tpk_visit
from stunting_api_client.api.convergence import overview
from stunting_api_client.api.dhis2 import dhis2_export_data_values, dhis2_import_data_values
from stunting_api_client.api.interventions import create_intervention, report
from stunting_api_client.api.measurements import check_measurement, create_measurement, growth
from stunting_api_client.api.regions import get_region, list_regions
from stunting_api_client.api.stats import interventions as intervention_stats
from stunting_api_client.api.stats import pathway_stats, prevalence, quality_stats, skdn_stats
from stunting_api_client.api.users import create_user
from stunting_api_client.api.worklist import get_worklist
from stunting_api_client.models import (
    AreaLevel,
    BabyBorn,
    CaseAudit,
    CaseStatus,
    CatinRisk,
    CheckMeasurement,
    CreateAncVisit,
    CreateChild,
    CreateIntervention,
    CreateMeasurement,
    CreatePerson,
    CreateReport,
    CreateScreening,
    CreateTpkVisit,
    CreateUser,
    DataSet,
    Dhis2DataValue,
    Dhis2DataValueSet,
    Examiner,
    GrowthCategory,
    NewPosyandu,
    NewTeam,
    OpenPregnancy,
    PathwayIndicator,
    PathwayStage,
    PeriodKind,
    Place,
    Position,
    PregnancyOutcome,
    QualityFlag,
    Reason,
    RecordOutcome,
    RegionLevel,
    Role,
    Sex,
    TeamKind,
    TeamMember,
    TokenRequestType0,
    TokenRequestType0GrantType,
    Problem,
    UpdateCase,
    UpdateChild,
)

KUMANTAN = "14.01.01.2009"


def ok(answer):
    """The parsed answer, which must not be a problem document."""
    assert not isinstance(answer, Problem), f"{answer.status} {answer.title}: {answer.detail} {answer.errors}"
    return answer


def step(text):
    print(f"- {text}", flush=True)


def sign_in(base_url, username, password):
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    body = TokenRequestType0(username=username, password=password, grant_type=TokenRequestType0GrantType.PASSWORD)
    answer = token.sync_detailed(client=anonymous, body=body)
    assert answer.status_code == 200, answer.content
    return AuthenticatedClient(base_url=base_url, token=answer.parsed.access_token, raise_on_unexpected_status=True)


def main(base_url, admin_password):
    step("1. sign in")
    admin = sign_in(base_url, "admin", admin_password)

    step("2. Riau's districts")
    riau = ok(list_regions.sync(client=admin, level=RegionLevel.DISTRICT, parent="14"))
    assert len(riau.items) == 12 and riau.items[0].name == "Kabupaten Kampar", riau
    assert riau.items[0].level == RegionLevel.DISTRICT

    step("3. Kabupaten Kampar and what it contains")
    kampar = ok(get_region.sync("14.01", client=admin))
    assert kampar.ancestors[0].name == "Riau", kampar
    assert (kampar.contains.subdistrict, kampar.contains.village) == (21, 250), kampar.contains

    step("4. an officer for Kampar, who signs in")
    ok(create_user.sync(client=admin, body=CreateUser(username="kampar.officer", password="a long passphrase",
                                                   role=Role.OFFICER, scope="14.01")))
    officer = sign_in(base_url, "kampar.officer", "a long passphrase")

    step("7. a child in Kumantan, registered twice with her own id: one child")
    child = CreateChild(id=uuid.UUID("7b0c2f0e-3c1a-4c55-9f0e-2d7f1a9b8c01"), village_code=KUMANTAN,
                        sex=Sex.FEMALE, birth_date=date(2024, 6, 1), name="Siti Aminah",
                        mother_name="Nurhayati", nik="1401014106240001")
    first = create_child.sync_detailed(client=officer, body=child)
    again = create_child.sync_detailed(client=officer, body=child)
    assert (first.status_code, again.status_code) == (201, 200), (first.status_code, again.status_code)
    assert again.parsed.id == first.parsed.id and again.parsed.has_nik

    step("7a. her mother, screened as a bride-to-be at risk, and linked to her")
    mother = ok(create_person.sync(client=officer, body=CreatePerson(
        id=uuid.UUID("0192b7a4-7777-7000-8000-000000000001"), village_code=KUMANTAN, sex=Sex.FEMALE,
        birth_date=date(2004, 3, 9), name="Nurhayati")))
    screened = ok(create_screening.sync(mother.id, client=officer, body=CreateScreening(
        screened_on=date(2023, 3, 1), height_cm=150.0, weight_kg=40.0, muac_cm=22.5, hb_g_dl=11.2)))
    assert (screened.age_years, screened.bmi, screened.thresholds_version) == (18, 17.8, 1), screened
    assert screened.risk_factors == [CatinRisk.TOO_YOUNG, CatinRisk.UNDERWEIGHT, CatinRisk.KEK,
                                     CatinRisk.ANAEMIA] and screened.at_risk, screened
    linked = ok(update_child.sync(child.id, client=officer, if_match='"1"', body=UpdateChild(mother_id=mother.id)))
    assert linked.mother_id == mother.id, linked

    step("7b. a TPK visits the mother; her next pregnancy: K1-K6 with iron tablets, a live birth, the baby weighed")
    members = [TeamMember(name="Rahmawati", role="midwife"), TeamMember(name="Yusnidar", role="pkk_cadre"),
               TeamMember(name="Hendri", role="family_planning_cadre")]
    team = ok(create_team.sync(client=officer, body=NewTeam(kind=TeamKind.TPK, region_code=KUMANTAN,
                                                            name="TPK Kumantan Walk", members=members)))
    visited = ok(create_tpk_visit.sync(client=officer, body=CreateTpkVisit(
        team_id=team.id, person_id=mother.id, visited_on=date(2024, 12, 2), counselling=True, referral=True,
        findings="LiLA 22.5 cm: referred to the puskesmas for PMT", next_visit_on=date(2025, 1, 2))))
    assert visited.stage == PathwayStage.CATIN, visited
    pregnancy = ok(create_pregnancy.sync(mother.id, client=officer, body=OpenPregnancy(lmp_on=date(2025, 1, 6))))
    assert pregnancy.due_on == date(2025, 10, 13), pregnancy
    k6 = [(date(2025, 3, 3), Examiner.DOCTOR), (date(2025, 3, 24), Examiner.MIDWIFE),
          (date(2025, 5, 26), Examiner.MIDWIFE), (date(2025, 7, 21), Examiner.DOCTOR),
          (date(2025, 8, 18), Examiner.MIDWIFE), (date(2025, 9, 15), Examiner.MIDWIFE)]
    for contact, (on, examiner) in enumerate(k6, start=1):
        visit = ok(create_anc_visit.sync(pregnancy.id, client=officer, body=CreateAncVisit(
            visited_on=on, examiner=examiner, muac_cm=22.8, iron_tablets=15, supplementary_food=True)))
        assert (visit.contact, visit.iron_tablets_total, visit.kek) == (contact, 15 * contact, True), visit
    born = ok(record_pregnancy_outcome.sync(pregnancy.id, client=officer, body=RecordOutcome(
        outcome=PregnancyOutcome.LIVE_BIRTH, ended_on=date(2025, 10, 10),
        babies=[BabyBorn(name="Bayi Ny. Nurhayati", sex=Sex.MALE, birth_weight_g=2400, birth_length_cm=47.0)])))
    assert born.anc.k6 and born.anc.iron_tablets_complete and born.anc.kek, born.anc
    baby = born.babies[0]
    assert baby.low_birth_weight and baby.short_at_birth, baby
    weighed = ok(create_measurement.sync(baby.child_id, client=officer, body=CreateMeasurement(
        measured_on=date(2025, 11, 10), length_cm=53.0, position=Position.LYING, weight_kg=3.9, place=Place.POSYANDU)))
    assert weighed.age_days == 31, weighed
    family = ok(get_continuum.sync(mother.id, client=officer))
    assert sorted(str(c.child.id) for c in family.children) == sorted([str(child.id), str(baby.child_id)]), family
    assert [len(p.anc_visits) for p in family.pregnancies] == [6] and family.tpk_visits[0].id == visited.id

    step("7c. Kampar's first 1,000 days: the screening of 2023, the pregnancy and the birth of 2025")
    screened = {r.indicator: (r.numerator, r.denominator)
                for r in ok(pathway_stats.sync(client=officer, region="14.01", year=2023)).totals[0].indicators}
    assert screened[PathwayIndicator.CATIN_AT_RISK] == (1, 1), screened
    year = {r.indicator: (r.numerator, r.denominator)
            for r in ok(pathway_stats.sync(client=officer, region="14.01", year=2025)).totals[0].indicators}
    for indicator in [PathwayIndicator.ANC_K6, PathwayIndicator.IRON_TABLETS_90, PathwayIndicator.PREGNANT_KEK,
                      PathwayIndicator.LOW_BIRTH_WEIGHT, PathwayIndicator.SHORT_AT_BIRTH]:
        assert year[indicator] == (1, 1), (indicator, year)

    step("8. her measurement: stunted, by the WHO standards")
    measured = ok(create_measurement.sync(child.id, client=officer, body=CreateMeasurement(
        measured_on=date(2025, 8, 15), length_cm=70.0, position=Position.LYING, weight_kg=8.2, place=Place.POSYANDU)))
    assert measured.age_days == 440, measured
    assert measured.length_for_age.z == -2.55 and measured.length_for_age.category == GrowthCategory.STUNTED

    step("9. the case it opened, and the officer's follow-up under If-Match")
    cases = ok(list_cases.sync(client=officer, region="14.01", status=CaseStatus.OPEN))
    assert [c.child_id for c in cases.items] == [child.id], cases
    case = cases.items[0]
    followed = ok(update_case.sync(case.id, client=officer, if_match=f'"{case.version}"', body=UpdateCase(
        assigned_team="TPK Kumantan 2",
        audit=CaseAudit(audited_on=date(2025, 9, 2), likely_causes=["poor sanitation"]))))
    assert followed.assigned_team == "TPK Kumantan 2" and followed.version == case.version + 1, followed

    step("10. her growth chart")
    chart = ok(growth.sync(child.id, client=officer))
    assert len(chart.points) == 1, chart

    step("10a. measured prevalence in Kampar, 2025")
    stats = ok(prevalence.sync(client=officer, region="14.01", year=2025))
    # Siti, stunted, and her baby brother, weighed at a month old.
    assert (stats.total.measured, stats.total.stunted, stats.total.stunting_pct) == (2, 1, 50.0), stats.total
    assert stats.level == RegionLevel.SUBDISTRICT

    step("10d. Kumantan's posyandu: Siti registered to it and weighed there in July; its SKDN")
    melati = ok(create_posyandu.sync(client=officer, body=NewPosyandu(
        id=uuid.UUID("0192b7a4-0000-7000-8000-0000000000a1"), village_code=KUMANTAN, name="Posyandu Melati")))
    registered = ok(update_child.sync(child.id, client=officer, if_match='"2"',
                                      body=UpdateChild(posyandu_id=melati.id, kia_book=True)))
    assert registered.posyandu_id == melati.id and registered.kia_book, registered
    ok(create_measurement.sync(child.id, client=officer, body=CreateMeasurement(
        measured_on=date(2025, 7, 15), length_cm=69.5, position=Position.LYING, weight_kg=7.6, place=Place.POSYANDU,
        posyandu_id=melati.id)))
    skdn = ok(skdn_stats.sync(client=officer, region=KUMANTAN, level=AreaLevel.POSYANDU,
                              from_="2025-07", to="2025-08", period=PeriodKind.MONTH))
    # July: her first weighing (B); August: 600 g more, above the 200 g a 14-month-old needs (N).
    assert [(r.under_fives, r.kia_book, r.weighed, r.first_weighing, r.rose) for r in skdn.rows] == [(1, 1, 1, 1, 0), (1, 1, 1, 0, 1)], skdn.rows
    assert skdn.rows[1].growth_pct == 100.0 and skdn.rows[1].name == "Posyandu Melati", skdn.rows[1]

    step("10e. the posyandu's worklist on 10 September: Siti's length is due again, and this month's weighing")
    todo = ok(get_worklist.sync(client=officer, posyandu=melati.id, on=date(2025, 9, 10)))
    assert [(i.reason, i.subject_id, str(i.due_on)) for i in todo.items] == [
        (Reason.REMEASURE, child.id, "2025-09-14"), (Reason.NOT_WEIGHED, child.id, "2025-09-30")], todo.items
    assert todo.items[0].href == f"/api/v1/children/{child.id}/measurements" and todo.changes_since, todo

    step("10f. September's length, 2 cm below August's: flagged and held out until the officer keeps it")
    september = ok(create_measurement.sync(child.id, client=officer, body=CreateMeasurement(
        measured_on=date(2025, 9, 12), length_cm=68.0, position=Position.LYING, weight_kg=8.4, place=Place.POSYANDU,
        posyandu_id=melati.id, reported_age_months=15)))
    assert september.quality_flags == [QualityFlag.LENGTH_DECREASE] and not september.counted, september
    quality = ok(quality_stats.sync(client=officer, region=KUMANTAN, level=AreaLevel.POSYANDU,
                                    from_="2025-09", to="2025-09"))
    assert [(r.measured, r.length_decrease, r.held) for r in quality.rows] == [(1, 1, 1)], quality.rows
    kept = ok(check_measurement.sync(child.id, september.id, client=officer, body=CheckMeasurement(
        note="Re-measured on 12 September: 68.0 cm; August's 70.0 cm was misread")))
    assert kept.counted and kept.checked_at is not None and kept.quality_flags == september.quality_flags, kept

    step("11-13. growth monitoring in Kumantan, a month's report, and coverage")
    planned = ok(create_intervention.sync(client=officer, body=CreateIntervention(
        type_code="growth_monitoring", region_code=KUMANTAN, year=2024, target=120)))
    reported = ok(report.sync(planned.id, client=officer, body=CreateReport(month="2024-01", reached=96)))
    assert reported.intervention.coverage_pct == 80.0 and reported.intervention.gap_pct == 10.0, reported
    coverage = ok(intervention_stats.sync(client=officer, region="14.01", level=RegionLevel.SUBDISTRICT, year=2024))
    rows = [row for category in coverage.categories for row in category.rows]
    monitoring = [row for row in rows if row.type_code == "growth_monitoring" and row.region_code == "14.01.01"]
    assert monitoring and monitoring[0].region_level == RegionLevel.SUBDISTRICT, rows

    step("13a. February's reach sent as a DHIS2 data value set, and the year's coverage read back as one")
    sent = ok(dhis2_import_data_values.sync(client=officer, body=Dhis2DataValueSet(
        data_set="STUNTING_INTERVENTIONS", period="202402", org_unit=KUMANTAN, data_values=[
            Dhis2DataValue(data_element="INTERVENTION_REACHED", category_option_combo="growth_monitoring", value="90")])))
    assert (sent.response.import_count.imported, sent.response.status) == (1, "SUCCESS"), sent
    year = ok(dhis2_export_data_values.sync(client=officer, data_set=[DataSet.STUNTING_INTERVENTIONS],
                                             period=["2024"], org_unit=[KUMANTAN]))
    values = {(v.data_element, v.category_option_combo): v.value for v in year.data_values}
    assert values[("INTERVENTION_REACHED", "growth_monitoring")] == "186", values
    assert values[("INTERVENTION_TARGET", "growth_monitoring")] == "120", values

    step("14. Kampar's 2024 DAK document and its discrepancy")
    budgets = ok(list_budgets.sync(client=admin, region="14.01", has_discrepancy=True))
    reconciliation = budgets.items[0].reconciliation
    assert (reconciliation.lines_total, reconciliation.reported_total) == (4_230_900_000, 3_900_900_000)
    assert reconciliation.difference == 330_000_000 and reconciliation.has_discrepancy

    step("15. Riau's convergence table: Bengkalis first")
    table = ok(overview.sync(client=admin, region="14", year=2021))
    bengkalis = table.districts[0]
    assert (bengkalis.district_name, bengkalis.actions_done, bengkalis.documents_up_to_action) == (
        "Kabupaten Bengkalis", 5, 4), bengkalis
    assert bengkalis.lokus_villages == 15 and bengkalis.rank == 1

    print("walk-through: every answer parsed by the generated client", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
