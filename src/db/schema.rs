// @generated automatically by Diesel CLI.

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
    login_failures (id) {
        id -> Int8,
        username -> Text,
        failed_at -> Timestamptz,
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

diesel::joinable!(audit_log -> users (actor_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(users -> regions (scope));

diesel::allow_tables_to_appear_in_same_query!(
    audit_log,
    login_failures,
    refresh_tokens,
    regions,
    users,
);
