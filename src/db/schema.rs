// @generated automatically by Diesel CLI.

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
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        username -> Text,
        failed_at -> Timestamptz,
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

diesel::joinable!(agencies -> regions (district_code));
diesel::joinable!(audit_log -> users (actor_id));
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
diesel::joinable!(child_services -> children (child_id));
diesel::joinable!(child_services -> intervention_types (type_code));
diesel::joinable!(child_services -> interventions (intervention_id));
diesel::joinable!(child_services -> users (recorded_by));
diesel::joinable!(children -> regions (village_code));
diesel::joinable!(intervention_funding -> budget_lines (budget_line_id));
diesel::joinable!(intervention_funding -> interventions (intervention_id));
diesel::joinable!(intervention_reports -> interventions (intervention_id));
diesel::joinable!(intervention_reports -> users (reported_by));
diesel::joinable!(interventions -> agencies (agency_id));
diesel::joinable!(interventions -> intervention_types (type_code));
diesel::joinable!(interventions -> regions (region_code));
diesel::joinable!(interventions -> users (created_by));
diesel::joinable!(measurements -> children (child_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(users -> regions (scope));

diesel::allow_tables_to_appear_in_same_query!(
    agencies,
    app_secrets,
    audit_log,
    budget_lines,
    budget_revisions,
    budget_spending,
    budgets,
    cases,
    child_services,
    children,
    intervention_funding,
    intervention_reports,
    intervention_types,
    interventions,
    login_failures,
    measurements,
    refresh_tokens,
    regions,
    users,
);
