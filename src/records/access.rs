//! Records handed out only after the caller's access was checked. A lookup by id takes the
//! caller and returns `Visible<T>` (the caller may read it) or, locked for the rest of the
//! transaction, `Writable<T>` (the caller may change it). Only this module builds either, and
//! the writes of every aggregate take a `Writable`: a handler cannot reach a record, or change
//! one, without the check. The rules themselves are in `auth::policy`.

use std::ops::Deref;

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::domain::RegionCode;
use crate::error::ApiError;
use crate::i18n::Text;

/// A record that lives in a region, and what kind of record the policy sees in it.
pub trait Scoped {
    const RECORD: Record;
    fn region(&self) -> &RegionCode;
}

/// A record the caller may read; answered as the record itself.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(transparent)]
pub struct Visible<T>(T);

/// A record, locked for the transaction, that the caller may change.
#[derive(Debug)]
pub struct Writable<T>(T);

impl<T: Scoped> Visible<T> {
    /// 404 when there is no record (`missing` says which); 403 when the caller may not read it.
    pub(in crate::records) fn check(
        caller: &Caller,
        row: Option<T>,
        missing: impl FnOnce() -> ApiError,
    ) -> Result<Self, ApiError> {
        let row = row.ok_or_else(missing)?;
        caller.require_read(T::RECORD, row.region())?;
        Ok(Self(row))
    }
}

impl<T: Scoped> Writable<T> {
    /// 404 when there is no record (`missing` says which); 403 when the caller may not change it.
    pub(in crate::records) fn check(
        caller: &Caller,
        row: Option<T>,
        missing: impl FnOnce() -> ApiError,
    ) -> Result<Self, ApiError> {
        Self::check_as(caller, T::RECORD, row, missing)
    }

    /// As `check`, by the rule for `record`: a report is written on an activity by the rule
    /// for reports, not the one for the activity.
    pub(in crate::records) fn check_as(
        caller: &Caller,
        record: Record,
        row: Option<T>,
        missing: impl FnOnce() -> ApiError,
    ) -> Result<Self, ApiError> {
        Self::check_by(row, missing, |row| caller.require_write(record, row.region()))
    }
}

impl<T> Writable<T> {
    /// As `check`, by a rule of the record's own: verifying a family is not loading one, and
    /// who may change an account depends on the account's role.
    pub(in crate::records) fn check_by(
        row: Option<T>,
        missing: impl FnOnce() -> ApiError,
        rule: impl FnOnce(&T) -> Result<(), ApiError>,
    ) -> Result<Self, ApiError> {
        let row = row.ok_or_else(missing)?;
        rule(&row)?;
        Ok(Self(row))
    }
}

impl<T> Visible<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Writable<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Visible<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Deref for Writable<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The 409 for a new record under an id another record (`noun`, kept in `region`) already has.
/// It names that record only when the caller's scope holds its region: outside, the answer
/// says neither what the record is nor that the caller could have read it.
pub fn id_taken(caller: &Caller, noun: Text, id: uuid::Uuid, region: &RegionCode) -> ApiError {
    id_taken_under(caller.scope.contains(region), noun, id)
}

/// The 409 for a part of a record (a visit, a screening, a line, a report) under an id another
/// part already has: named only when that part belongs to the record the caller is writing to
/// (`same_record`), which the caller can read. Under another record, perhaps outside the
/// caller's scope, the answer says neither what it is nor whose.
pub fn id_taken_under(same_record: bool, noun: Text, id: uuid::Uuid) -> ApiError {
    if same_record { ApiError::id_taken(noun, id) } else { id_taken_elsewhere() }
}

/// The 409 that names nothing: the id is some record's the caller is not told of.
pub fn id_taken_elsewhere() -> ApiError {
    ApiError::conflict(text!("this id is already taken; send the record under a new id"))
}

/// The 409 for a NIK that another living record (`other`, kept in `region`) already has: one
/// person, one record, across the country. It names that record only when the caller's scope
/// holds its region; outside it, the id would only confirm where a NIK is registered.
pub fn nik_taken(caller: &Caller, noun: Text, other: uuid::Uuid, region: &RegionCode) -> ApiError {
    identity_taken(caller, noun, text!("NIK"), other, region)
}

/// The 409 for an IHS number that another living record already has, named as `nik_taken`
/// names one.
pub fn ihs_number_taken(caller: &Caller, noun: Text, other: uuid::Uuid, region: &RegionCode) -> ApiError {
    identity_taken(caller, noun, text!("IHS number"), other, region)
}

fn identity_taken(caller: &Caller, noun: Text, what: Text, other: uuid::Uuid, region: &RegionCode) -> ApiError {
    if caller.scope.contains(region) {
        ApiError::DuplicateOf {
            detail: text!("a %{noun} with this %{what} is already registered", noun => noun, what => what),
            existing_id: other,
        }
    } else {
        ApiError::conflict(text!(
            "a %{noun} with this %{what} is already registered outside your scope; the region that keeps the record \
             (or an admin) can move it to yours",
            noun => noun,
            what => what
        ))
    }
}
