// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "xid8", schema = "pg_catalog"))]
    pub struct Xid8;
}

diesel::table! {
    agencies (id) {
        id -> Uuid,
        district_code -> Text,
        name -> Text,
        short_name -> Text,
        sector -> Text,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    anc_visits (id) {
        id -> Uuid,
        pregnancy_id -> Uuid,
        village_code -> Text,
        visited_on -> Date,
        examiner -> Text,
        weight_kg -> Nullable<Float8>,
        muac_cm -> Nullable<Float8>,
        hb_g_dl -> Nullable<Float8>,
        kek -> Nullable<Bool>,
        anaemia -> Nullable<Bool>,
        iron_tablets -> Int2,
        supplementary_food -> Bool,
        voided_at -> Nullable<Timestamptz>,
        voided_by -> Nullable<Uuid>,
        voided_reason -> Nullable<Text>,
        recorded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    app_secrets (name) {
        name -> Text,
        value -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        changes -> Jsonb,
        region_code -> Nullable<Text>,
    }
}

diesel::table! {
    births (child_id) {
        child_id -> Uuid,
        pregnancy_id -> Uuid,
        birth_weight_g -> Int4,
        birth_length_cm -> Float8,
        low_birth_weight -> Bool,
        short_at_birth -> Bool,
    }
}

diesel::table! {
    budget_lines (id) {
        id -> Uuid,
        budget_id -> Uuid,
        activity -> Text,
        type_code -> Nullable<Text>,
        agency_id -> Nullable<Uuid>,
        ceiling -> Int8,
        output_value -> Nullable<Int8>,
        output_unit -> Nullable<Text>,
        village_codes -> Array<Text>,
        realised -> Int8,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    budget_revisions (id) {
        id -> Uuid,
        budget_id -> Uuid,
        revision -> Int4,
        snapshot -> Jsonb,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    budget_spending (id) {
        id -> Uuid,
        line_id -> Uuid,
        amount -> Int8,
        spent_on -> Date,
        note -> Nullable<Text>,
        approved_overrun -> Bool,
        recorded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    budgets (id) {
        id -> Uuid,
        region_code -> Text,
        fiscal_year -> Int4,
        funding_source -> Text,
        title -> Text,
        status -> Text,
        reported_total -> Nullable<Int8>,
        document_ref -> Nullable<Text>,
        lines_total -> Int8,
        realised_total -> Int8,
        revision -> Int4,
        approved_at -> Nullable<Timestamptz>,
        approved_by -> Nullable<Uuid>,
        deleted_at -> Nullable<Timestamptz>,
        deleted_reason -> Nullable<Text>,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    case_counts (tier, period, period_start, region_code) {
        tier -> Text,
        period -> Text,
        period_start -> Date,
        region_code -> Text,
        opened -> Int8,
        resolved -> Int8,
        closed_moved_away -> Int8,
        closed_died -> Int8,
        closed_reached_60_months -> Int8,
        closed_other -> Int8,
        audited -> Int8,
        net_open -> Int8,
        net_open_severe -> Int8,
        net_open_assigned -> Int8,
    }
}

diesel::table! {
    cases (id) {
        id -> Uuid,
        child_id -> Uuid,
        village_code -> Text,
        status -> Text,
        severity -> Text,
        opened_on -> Date,
        opening_measurement_id -> Uuid,
        latest_measurement_id -> Uuid,
        latest_measured_on -> Date,
        latest_haz -> Float8,
        resolved_on -> Nullable<Date>,
        resolving_measurement_id -> Nullable<Uuid>,
        closed_on -> Nullable<Date>,
        close_reason -> Nullable<Text>,
        close_note -> Nullable<Text>,
        assigned_team -> Nullable<Text>,
        notes -> Nullable<Text>,
        audited_on -> Nullable<Date>,
        audit_findings -> Nullable<Text>,
        audit_causes -> Array<Text>,
        audit_recommendation -> Nullable<Text>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        assigned_team_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    catin_screenings (id) {
        id -> Uuid,
        person_id -> Uuid,
        village_code -> Text,
        screened_on -> Date,
        wedding_planned_on -> Nullable<Date>,
        age_years -> Int2,
        height_cm -> Nullable<Float8>,
        weight_kg -> Nullable<Float8>,
        bmi -> Nullable<Float8>,
        muac_cm -> Nullable<Float8>,
        hb_g_dl -> Nullable<Float8>,
        smokes -> Bool,
        smoke_exposed -> Bool,
        thresholds_version -> Int4,
        risk_factors -> Array<Text>,
        at_risk -> Bool,
        voided_at -> Nullable<Timestamptz>,
        voided_by -> Nullable<Uuid>,
        voided_reason -> Nullable<Text>,
        recorded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    catin_thresholds (version) {
        version -> Int4,
        min_age_women -> Int2,
        max_age_women -> Int2,
        min_bmi -> Float8,
        min_muac_cm -> Float8,
        min_hb_women -> Float8,
        min_hb_men -> Float8,
        source -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Xid8;

    change_feed_trimmed (only_row) {
        only_row -> Bool,
        txid -> Xid8,
        seq -> Int8,
        trimmed_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Xid8;

    change_relay (target) {
        target -> Text,
        txid -> Xid8,
        seq -> Int8,
        relayed_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Xid8;

    changes (txid, seq) {
        txid -> Xid8,
        seq -> Int8,
        entity -> Text,
        record_id -> Uuid,
        region_code -> Text,
        removed -> Bool,
        changed_at -> Timestamptz,
    }
}

diesel::table! {
    child_services (id) {
        id -> Uuid,
        child_id -> Uuid,
        type_code -> Text,
        given_on -> Date,
        intervention_id -> Nullable<Uuid>,
        given_by -> Nullable<Text>,
        note -> Nullable<Text>,
        recorded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    children (id) {
        id -> Uuid,
        village_code -> Text,
        sex -> Text,
        birth_date -> Date,
        name -> Text,
        mother_name -> Nullable<Text>,
        nik_hash -> Nullable<Bytea>,
        deleted_at -> Nullable<Timestamptz>,
        deleted_by -> Nullable<Uuid>,
        deleted_reason -> Nullable<Text>,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        mother_id -> Nullable<Uuid>,
        posyandu_id -> Nullable<Uuid>,
        kia_book -> Nullable<Bool>,
        ihs_number -> Nullable<Text>,
    }
}

diesel::table! {
    convergence_actions (number) {
        number -> Int2,
        name_id -> Text,
        name_en -> Text,
    }
}

diesel::table! {
    convergence_assessments (district_code, year) {
        district_code -> Text,
        year -> Int4,
        score -> Float8,
        notes -> Nullable<Text>,
        assessed_by -> Nullable<Uuid>,
        version -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    convergence_documents (id) {
        id -> Uuid,
        district_code -> Text,
        year -> Int4,
        action -> Int2,
        title -> Text,
        kind -> Text,
        document_date -> Nullable<Date>,
        url -> Nullable<Text>,
        file_name -> Nullable<Text>,
        content_type -> Nullable<Text>,
        size_bytes -> Nullable<Int8>,
        sha256 -> Nullable<Text>,
        content -> Nullable<Bytea>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        version -> Int4,
        deleted_by -> Nullable<Uuid>,
        deleted_reason -> Nullable<Text>,
    }
}

diesel::table! {
    convergence_progress (district_code, year, action) {
        district_code -> Text,
        year -> Int4,
        action -> Int2,
        status -> Text,
        done_on -> Nullable<Date>,
        notes -> Nullable<Text>,
        version -> Int4,
        updated_by -> Nullable<Uuid>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    coverage_counts (tier, period, period_start, region_code, type_code) {
        tier -> Text,
        period -> Text,
        period_start -> Date,
        region_code -> Text,
        type_code -> Text,
        activities -> Int8,
        target -> Int8,
        reached -> Int8,
    }
}

diesel::table! {
    families_at_risk (id) {
        id -> Uuid,
        year -> Int4,
        family_key -> Text,
        village_code -> Text,
        risk_factors -> Array<Text>,
        has_pregnant_woman -> Bool,
        has_under_two -> Bool,
        has_under_five -> Bool,
        verification -> Text,
        verification_note -> Nullable<Text>,
        verified_by -> Nullable<Uuid>,
        verified_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    family_counts (year, village_code) {
        year -> Int4,
        village_code -> Text,
        families -> Int8,
        pending -> Int8,
        verified -> Int8,
        not_found -> Int8,
        not_at_risk -> Int8,
        with_pregnant_woman -> Int8,
        with_under_two -> Int8,
        with_under_five -> Int8,
        no_safe_water -> Int8,
        no_proper_latrine -> Int8,
        mother_under_20 -> Int8,
        mother_over_35 -> Int8,
        births_under_2_years_apart -> Int8,
        more_than_3_children -> Int8,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Uuid,
        key -> Text,
        fingerprint -> Bytea,
        attempt -> Uuid,
        locked_until -> Timestamptz,
        status -> Nullable<Int2>,
        headers -> Nullable<Jsonb>,
        body -> Nullable<Bytea>,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    import_job_parts (job_id, part) {
        job_id -> Uuid,
        part -> Int4,
        bytes -> Bytea,
    }
}

diesel::table! {
    import_job_rejections (job_id, index) {
        job_id -> Uuid,
        index -> Int4,
        line -> Nullable<Int8>,
        record_id -> Nullable<Text>,
        problem -> Jsonb,
    }
}

diesel::table! {
    import_jobs (id) {
        id -> Uuid,
        user_id -> Uuid,
        kind -> Text,
        format -> Text,
        mode -> Text,
        dry_run -> Bool,
        status -> Text,
        records_total -> Int4,
        records_done -> Int4,
        created -> Int4,
        updated -> Int4,
        unchanged -> Int4,
        rejected -> Int4,
        problem -> Nullable<Jsonb>,
        attempts -> Int4,
        lease_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    intervention_funding (intervention_id, budget_line_id) {
        intervention_id -> Uuid,
        budget_line_id -> Uuid,
    }
}

diesel::table! {
    intervention_reports (id) {
        id -> Uuid,
        intervention_id -> Uuid,
        month -> Date,
        reached -> Int8,
        note -> Nullable<Text>,
        superseded_at -> Nullable<Timestamptz>,
        reported_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    intervention_types (code) {
        code -> Text,
        name_id -> Text,
        name_en -> Text,
        category -> Text,
        target_group -> Text,
        unit -> Text,
        national_target_pct -> Nullable<Float8>,
        national_target_year -> Nullable<Int4>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    interventions (id) {
        id -> Uuid,
        type_code -> Text,
        region_code -> Text,
        period_start -> Date,
        period_end -> Date,
        agency_id -> Nullable<Uuid>,
        target -> Int8,
        reached -> Int8,
        description -> Nullable<Text>,
        deleted_at -> Nullable<Timestamptz>,
        deleted_reason -> Nullable<Text>,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        username -> Text,
        failed_at -> Timestamptz,
        source -> Text,
    }
}

diesel::table! {
    kbm_min_gain (age_months) {
        age_months -> Int4,
        min_gain_g -> Int4,
    }
}

diesel::table! {
    lokus_decisions (district_code, year) {
        district_code -> Text,
        year -> Int4,
        decision -> Text,
        decided_on -> Nullable<Date>,
        version -> Int4,
        updated_by -> Nullable<Uuid>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    lokus_villages (year, village_code) {
        village_code -> Text,
        year -> Int4,
        district_code -> Text,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    measurements (id) {
        id -> Uuid,
        child_id -> Uuid,
        measured_on -> Date,
        age_days -> Int4,
        length_cm -> Float8,
        position -> Text,
        weight_kg -> Nullable<Float8>,
        oedema -> Bool,
        place -> Text,
        measured_by -> Nullable<Text>,
        haz -> Nullable<Float8>,
        waz -> Nullable<Float8>,
        whz -> Nullable<Float8>,
        haz_implausible -> Bool,
        waz_implausible -> Bool,
        whz_implausible -> Bool,
        voided_at -> Nullable<Timestamptz>,
        voided_by -> Nullable<Uuid>,
        voided_reason -> Nullable<Text>,
        recorded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        posyandu_id -> Nullable<Uuid>,
        reported_age_months -> Nullable<Int4>,
        quality_flags -> Array<Text>,
        checked_at -> Nullable<Timestamptz>,
        checked_by -> Nullable<Uuid>,
        checked_note -> Nullable<Text>,
        held -> Bool,
    }
}

diesel::table! {
    pathway_counts (tier, period, period_start, measure, region_code) {
        tier -> Text,
        period -> Text,
        period_start -> Date,
        region_code -> Text,
        measure -> Text,
        value -> Int8,
    }
}

diesel::table! {
    pathway_months (person_id, month) {
        person_id -> Uuid,
        month -> Date,
        village_code -> Text,
        assisted -> Bool,
        child -> Bool,
    }
}

diesel::table! {
    people (id) {
        id -> Uuid,
        village_code -> Text,
        sex -> Text,
        birth_date -> Date,
        name -> Text,
        nik_hash -> Nullable<Bytea>,
        deleted_at -> Nullable<Timestamptz>,
        deleted_by -> Nullable<Uuid>,
        deleted_reason -> Nullable<Text>,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        wedding_planned_on -> Nullable<Date>,
        ihs_number -> Nullable<Text>,
    }
}

diesel::table! {
    posyandu (id) {
        id -> Uuid,
        village_code -> Text,
        name -> Text,
        active -> Bool,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    postpartum_visits (id) {
        id -> Uuid,
        pregnancy_id -> Uuid,
        village_code -> Text,
        visited_on -> Date,
        kf -> Int2,
        examiner -> Text,
        contraception -> Nullable<Text>,
        exclusive_breastfeeding -> Nullable<Bool>,
        voided_at -> Nullable<Timestamptz>,
        voided_by -> Nullable<Uuid>,
        voided_reason -> Nullable<Text>,
        recorded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    pregnancies (id) {
        id -> Uuid,
        person_id -> Uuid,
        village_code -> Text,
        lmp_on -> Date,
        due_on -> Date,
        outcome -> Nullable<Text>,
        ended_on -> Nullable<Date>,
        anc_contacts -> Int2,
        anc_first_trimester -> Int2,
        anc_second_trimester -> Int2,
        anc_third_trimester -> Int2,
        anc_by_doctor -> Int2,
        iron_tablets -> Int4,
        kek -> Bool,
        anaemia -> Bool,
        last_visit_on -> Nullable<Date>,
        anc_k4 -> Bool,
        anc_k6 -> Bool,
        iron_complete -> Bool,
        babies -> Int2,
        low_birth_weight_babies -> Int2,
        short_babies -> Int2,
        kf_done -> Int2,
        contraception -> Nullable<Text>,
        breastfeeding_exclusive -> Nullable<Bool>,
        deleted_at -> Nullable<Timestamptz>,
        deleted_by -> Nullable<Uuid>,
        deleted_reason -> Nullable<Text>,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    prevalence_counts (tier, period, period_start, region_code) {
        tier -> Text,
        period -> Text,
        period_start -> Date,
        region_code -> Text,
        measured -> Int8,
        stunted -> Int8,
        severely_stunted -> Int8,
        weighed -> Int8,
        underweight -> Int8,
        wasting_measured -> Int8,
        wasted -> Int8,
    }
}

diesel::table! {
    prevalence_targets (id) {
        id -> Uuid,
        region_code -> Nullable<Text>,
        year -> Int4,
        stunting_pct -> Float8,
        basis -> Nullable<Text>,
        version -> Int4,
        updated_by -> Nullable<Uuid>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    quality_counts (tier, month, area) {
        tier -> Text,
        month -> Date,
        area -> Text,
        measured -> Int8,
        flagged -> Int8,
        implausible -> Int8,
        implausible_haz -> Int8,
        length_decrease -> Int8,
        weight_jump -> Int8,
        age_mismatch -> Int8,
        checked -> Int8,
        held -> Int8,
        heaped -> Int8,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        family_id -> Uuid,
        user_id -> Uuid,
        token_hash -> Bytea,
        issued_at -> Timestamptz,
        expires_at -> Timestamptz,
        rotated_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    regions (code) {
        code -> Text,
        parent_code -> Nullable<Text>,
        level -> Text,
        name -> Text,
        retired_at -> Nullable<Timestamptz>,
        replaced_by -> Array<Text>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    skdn_born_years (tier, year, area) {
        tier -> Text,
        year -> Date,
        area -> Text,
        born -> Int8,
        born_kia -> Int8,
    }
}

diesel::table! {
    skdn_counts (tier, month, area) {
        tier -> Text,
        month -> Date,
        area -> Text,
        born -> Int8,
        born_kia -> Int8,
        weighed -> Int8,
        rose -> Int8,
        not_rose -> Int8,
        missed_last -> Int8,
        new -> Int8,
        two_t -> Int8,
        bgm -> Int8,
    }
}

diesel::table! {
    survey_figures (id) {
        id -> Uuid,
        region_code -> Nullable<Text>,
        year -> Int4,
        source -> Text,
        stunting_pct -> Nullable<Float8>,
        ci_low_pct -> Nullable<Float8>,
        ci_high_pct -> Nullable<Float8>,
        note -> Nullable<Text>,
        version -> Int4,
        updated_by -> Nullable<Uuid>,
        updated_at -> Timestamptz,
        stunted_count -> Nullable<Int4>,
        measured_count -> Nullable<Int4>,
    }
}

diesel::table! {
    team_counts (region_code) {
        region_code -> Text,
        tpps -> Int8,
        own_tpps -> Int8,
        tpk_active -> Int8,
        tpk_inactive -> Int8,
        villages_with_tpk -> Int8,
    }
}

diesel::table! {
    teams (id) {
        id -> Uuid,
        kind -> Text,
        region_code -> Text,
        name -> Text,
        active -> Bool,
        members -> Jsonb,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    tpk_visits (id) {
        id -> Uuid,
        team_id -> Uuid,
        person_id -> Nullable<Uuid>,
        child_id -> Nullable<Uuid>,
        village_code -> Text,
        visited_on -> Date,
        stage -> Text,
        counselling -> Bool,
        referral -> Bool,
        social_assistance -> Bool,
        exclusive_breastfeeding -> Nullable<Bool>,
        findings -> Nullable<Text>,
        next_visit_on -> Nullable<Date>,
        voided_at -> Nullable<Timestamptz>,
        voided_by -> Nullable<Uuid>,
        voided_reason -> Nullable<Text>,
        recorded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        username -> Text,
        display_name -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        scope -> Nullable<Text>,
        active -> Bool,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    village_counts (region_code) {
        region_code -> Text,
        villages -> Int8,
    }
}

diesel::table! {
    weighing_months (child_id, month) {
        child_id -> Uuid,
        month -> Date,
        village_code -> Text,
        posyandu_id -> Nullable<Uuid>,
        status -> Text,
        two_t -> Bool,
        bgm -> Bool,
    }
}

diesel::joinable!(agencies -> regions (district_code));
diesel::joinable!(anc_visits -> pregnancies (pregnancy_id));
diesel::joinable!(anc_visits -> regions (village_code));
diesel::joinable!(audit_log -> users (actor_id));
diesel::joinable!(births -> children (child_id));
diesel::joinable!(births -> pregnancies (pregnancy_id));
diesel::joinable!(budget_lines -> agencies (agency_id));
diesel::joinable!(budget_lines -> budgets (budget_id));
diesel::joinable!(budget_lines -> intervention_types (type_code));
diesel::joinable!(budget_revisions -> budgets (budget_id));
diesel::joinable!(budget_revisions -> users (created_by));
diesel::joinable!(budget_spending -> budget_lines (line_id));
diesel::joinable!(budget_spending -> users (recorded_by));
diesel::joinable!(budgets -> regions (region_code));
diesel::joinable!(cases -> children (child_id));
diesel::joinable!(cases -> regions (village_code));
diesel::joinable!(cases -> teams (assigned_team_id));
diesel::joinable!(catin_screenings -> catin_thresholds (thresholds_version));
diesel::joinable!(catin_screenings -> people (person_id));
diesel::joinable!(catin_screenings -> regions (village_code));
diesel::joinable!(catin_thresholds -> users (created_by));
diesel::joinable!(child_services -> children (child_id));
diesel::joinable!(child_services -> intervention_types (type_code));
diesel::joinable!(child_services -> interventions (intervention_id));
diesel::joinable!(child_services -> users (recorded_by));
diesel::joinable!(children -> people (mother_id));
diesel::joinable!(children -> regions (village_code));
diesel::joinable!(convergence_assessments -> regions (district_code));
diesel::joinable!(convergence_assessments -> users (assessed_by));
diesel::joinable!(convergence_documents -> convergence_actions (action));
diesel::joinable!(convergence_documents -> regions (district_code));
diesel::joinable!(convergence_progress -> convergence_actions (action));
diesel::joinable!(convergence_progress -> regions (district_code));
diesel::joinable!(convergence_progress -> users (updated_by));
diesel::joinable!(families_at_risk -> regions (village_code));
diesel::joinable!(families_at_risk -> users (verified_by));
diesel::joinable!(idempotency_keys -> users (user_id));
diesel::joinable!(import_job_parts -> import_jobs (job_id));
diesel::joinable!(import_job_rejections -> import_jobs (job_id));
diesel::joinable!(import_jobs -> users (user_id));
diesel::joinable!(intervention_funding -> budget_lines (budget_line_id));
diesel::joinable!(intervention_funding -> interventions (intervention_id));
diesel::joinable!(intervention_reports -> interventions (intervention_id));
diesel::joinable!(intervention_reports -> users (reported_by));
diesel::joinable!(interventions -> agencies (agency_id));
diesel::joinable!(interventions -> intervention_types (type_code));
diesel::joinable!(interventions -> regions (region_code));
diesel::joinable!(lokus_decisions -> regions (district_code));
diesel::joinable!(lokus_decisions -> users (updated_by));
diesel::joinable!(lokus_villages -> regions (village_code));
diesel::joinable!(measurements -> children (child_id));
diesel::joinable!(measurements -> posyandu (posyandu_id));
diesel::joinable!(posyandu -> regions (village_code));
diesel::joinable!(posyandu -> users (created_by));
diesel::joinable!(people -> regions (village_code));
diesel::joinable!(postpartum_visits -> pregnancies (pregnancy_id));
diesel::joinable!(postpartum_visits -> regions (village_code));
diesel::joinable!(pregnancies -> people (person_id));
diesel::joinable!(pregnancies -> regions (village_code));
diesel::joinable!(prevalence_targets -> regions (region_code));
diesel::joinable!(prevalence_targets -> users (updated_by));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(survey_figures -> regions (region_code));
diesel::joinable!(survey_figures -> users (updated_by));
diesel::joinable!(teams -> regions (region_code));
diesel::joinable!(teams -> users (created_by));
diesel::joinable!(tpk_visits -> children (child_id));
diesel::joinable!(tpk_visits -> people (person_id));
diesel::joinable!(tpk_visits -> regions (village_code));
diesel::joinable!(tpk_visits -> teams (team_id));
diesel::joinable!(users -> regions (scope));

diesel::allow_tables_to_appear_in_same_query!(
    agencies,
    anc_visits,
    app_secrets,
    audit_log,
    births,
    budget_lines,
    budget_revisions,
    budget_spending,
    budgets,
    case_counts,
    cases,
    catin_screenings,
    catin_thresholds,
    change_feed_trimmed,
    change_relay,
    changes,
    child_services,
    children,
    convergence_actions,
    convergence_assessments,
    convergence_documents,
    convergence_progress,
    coverage_counts,
    families_at_risk,
    family_counts,
    idempotency_keys,
    import_job_parts,
    import_job_rejections,
    import_jobs,
    intervention_funding,
    intervention_reports,
    intervention_types,
    interventions,
    kbm_min_gain,
    login_failures,
    lokus_decisions,
    lokus_villages,
    measurements,
    pathway_counts,
    pathway_months,
    people,
    posyandu,
    postpartum_visits,
    pregnancies,
    prevalence_counts,
    prevalence_targets,
    quality_counts,
    refresh_tokens,
    regions,
    skdn_born_years,
    skdn_counts,
    survey_figures,
    team_counts,
    teams,
    tpk_visits,
    users,
    village_counts,
    weighing_months,
);
