//! Who may do what, in one place: every rule about roles and region scopes. Handlers and the
//! records layer ask these questions; none of them answers one by itself.
//!
//! One rule for every resource: a record outside what the caller may see is a 403 naming the
//! region; a 404 only ever means the record does not exist (or was removed).

use crate::auth::Caller;
use crate::domain::{RegionCode, RegionLevel, Role, Scope};
use crate::error::ApiError;
use crate::i18n::Text;

/// The kinds of record the rules speak of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// A child and everything recorded about them: measurements, cases, services.
    Child,
    /// A person of the first 1,000 days (a woman, or a man screened as catin) and everything
    /// recorded about her: screenings. Personal data, kept as a child's is.
    Person,
    /// A family at risk of stunting (keluarga berisiko stunting).
    Family,
    /// A family assistance team (TPK) and its members.
    Team,
    /// A village health post (posyandu), where under-fives are weighed every month.
    Posyandu,
    /// An intervention activity.
    Intervention,
    /// A monthly report on an intervention activity.
    Report,
    /// A budget document with its lines and spending.
    Budget,
    /// A government agency (OPD) of a district.
    Agency,
    /// A district's convergence records: actions, documents, lokus villages.
    Convergence,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether the caller may see personal data (names, birth dates, contacts): every role but
    /// the analyst (dashboard) one.
    pub fn sees_personal_data(&self) -> bool {
        self.role != Role::Analyst
    }

    /// Whether the caller sees counts of 1 to 4 children below district level. Dashboards do
    /// not: a village row with two stunted children could name them.
    pub fn sees_small_counts(&self) -> bool {
        self.role != Role::Analyst
    }

    /// 403 unless the caller may read a record of this kind in `region`. Child-level data
    /// stays inside the caller's scope and away from dashboards; a cadre reads the budgets of
    /// their own village; everything else is readable by anyone whose scope lies inside the
    /// record's region or contains it (a village cadre sees the district's activities).
    pub fn require_read(&self, record: Record, region: &RegionCode) -> Result<(), ApiError> {
        match record {
            Record::Child | Record::Person => self.require_child_in_scope(region),
            // A household row of a village with few families could point at one: not for dashboards.
            Record::Family => self.require_child_in_scope(region),
            Record::Budget if self.role == Role::Cadre => self.require_in_scope(region),
            Record::Team
            | Record::Posyandu
            | Record::Intervention
            | Record::Report
            | Record::Budget
            | Record::Agency
            | Record::Convergence => self.require_overlap(region),
        }
    }

    /// 403 unless the caller may create, change or remove a record of this kind in `region`.
    /// Admins everywhere; otherwise only inside the caller's own scope, and by role: those
    /// who care for a child write about them; officers keep a region's activities, budgets,
    /// agencies and teams; officers and a village's cadres keep its posyandu; officers, cadres
    /// and integrations report on activities; integrations and officers load families; a
    /// district's own officers keep its convergence records.
    pub fn require_write(&self, record: Record, region: &RegionCode) -> Result<(), ApiError> {
        match record {
            Record::Child | Record::Person => return self.require_child_in_scope(region),
            Record::Convergence => return self.require_district_officer(&region.at_most(RegionLevel::District)),
            _ => self.require_writer_of(record)?,
        }
        self.require_in_scope(region)
    }

    /// 403 unless the caller's role may write records of this kind at all, before the request
    /// says where (`require_write` judges the region once it is known): the role part of
    /// `require_write`, so that a handler refuses a role before it reads the body.
    pub fn require_writer_of(&self, record: Record) -> Result<(), ApiError> {
        match record {
            Record::Child | Record::Person => self.require_child_data(),
            Record::Family => self.require_role(&[Role::Integration, Role::Officer]),
            Record::Report => self.require_role(&[Role::Officer, Role::Cadre, Role::Integration]),
            Record::Posyandu => self.require_role(&[Role::Officer, Role::Cadre]),
            Record::Team | Record::Intervention | Record::Budget | Record::Agency | Record::Convergence => {
                self.require_role(&[Role::Officer])
            }
        }
    }

    /// 403 unless the caller follows up cases (assigns teams, audits, closes): officers.
    pub fn require_case_officer(&self) -> Result<(), ApiError> {
        self.require_role(&[Role::Officer])
    }

    /// 403 unless the caller may record a person's SATUSEHAT patient id (IHS number): the
    /// officers and integrations who exchange records with SATUSEHAT. A cadre records the
    /// person; the number comes from the health office's lookup.
    pub fn require_ihs_number_writer(&self) -> Result<(), ApiError> {
        self.require_role(&[Role::Officer, Role::Integration])
    }

    /// 403 unless the caller may mark a flagged measurement checked, putting it back into
    /// prevalence: officers, who answer for the published figures.
    pub fn require_quality_checker(&self) -> Result<(), ApiError> {
        self.require_role(&[Role::Officer])
    }

    /// 403 unless the caller manages accounts (lists them, creates cadres and analysts in
    /// scope): officers; `require_manageable` judges each account.
    pub fn require_account_manager(&self) -> Result<(), ApiError> {
        self.require_role(&[Role::Officer])
    }

    /// 403 unless the caller reads the audit trail: officers (their scope's records).
    pub fn require_audit_reader(&self) -> Result<(), ApiError> {
        self.require_role(&[Role::Officer])
    }

    /// 403 unless the caller reads the change feed: those who keep records offline or in
    /// another system (officers, cadres, integrations); dashboards read aggregates.
    pub fn require_feed_reader(&self) -> Result<(), ApiError> {
        self.require_role(&[Role::Officer, Role::Cadre, Role::Integration])
    }

    /// 403 unless the caller reads worklists: those who visit, weigh and refer (cadres, whose
    /// TPK accounts are cadres too) and the officers who supervise them. Integrations move
    /// records, dashboards read aggregates.
    pub fn require_worklist_reader(&self) -> Result<(), ApiError> {
        self.require_role(&[Role::Officer, Role::Cadre])
    }

    /// 403 unless the caller's role verifies families at risk: cadres and officers
    /// (`require_verifier` judges the village).
    pub fn require_verifier_role(&self) -> Result<(), ApiError> {
        self.require_role(&[Role::Cadre, Role::Officer])
    }

    /// 403 unless the caller may verify a family at risk in `village`: its cadre or an officer.
    pub fn require_verifier(&self, village: &RegionCode) -> Result<(), ApiError> {
        self.require_verifier_role()?;
        self.require_in_scope(village)
    }

    /// 403 unless the caller may set survey figures and targets for `region` (`None`: the
    /// nation): officers inside their scope, and national accounts for the national ones.
    pub fn require_figure_writer(&self, region: Option<&RegionCode>) -> Result<(), ApiError> {
        self.require_role(&[Role::Officer])?;
        match region {
            Some(code) => self.require_in_scope(code),
            None if self.scope == Scope::National => Ok(()),
            None => Err(ApiError::forbidden(text!("only national accounts set national figures and targets"))),
        }
    }

    /// 403 unless the caller has one of `roles` (admin always passes).
    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.is_admin() || roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(text!("the %{role} role may not do this", role = self.role.as_str())))
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require_role(&[])
    }

    /// Child-level data (names, birth dates, measurements, cases) is for the people who care
    /// for the child: every role but the analyst (dashboard) one.
    pub fn require_child_data(&self) -> Result<(), ApiError> {
        if self.role == Role::Analyst {
            Err(ApiError::forbidden(text!("dashboards see aggregates only, never child-level data")))
        } else {
            Ok(())
        }
    }

    /// 403 unless the caller may see child-level data in `village`.
    pub fn require_child_in_scope(&self, village: &RegionCode) -> Result<(), ApiError> {
        self.require_child_data()?;
        self.require_in_scope(village)
    }

    /// 403 unless the caller may remove children: the health staff who keep them (officers,
    /// cadres) and admins. An integration syncs children from another system, creating and
    /// correcting them as that system holds them, but never removes one: a removal is a
    /// decision with a reason, not a side effect of a sync.
    pub fn require_child_removal(&self) -> Result<(), ApiError> {
        if self.role == Role::Integration {
            return Err(ApiError::forbidden(text!(
                "an integration syncs children but does not remove them; ask the district's officers"
            )));
        }
        self.require_child_data()
    }

    /// The region a list covers: `requested` narrowed to the caller's scope, or the scope
    /// itself. 403 when the two do not overlap.
    pub fn list_scope(&self, requested: Option<RegionCode>) -> Result<Scope, ApiError> {
        match (requested, &self.scope) {
            (None, scope) => Ok(scope.clone()),
            (Some(code), scope) if scope.contains(&code) => Ok(Scope::Region(code)),
            (Some(code), Scope::Region(own)) if code.contains(own) => Ok(Scope::Region(own.clone())),
            (Some(code), _) => Err(ApiError::forbidden(text!("region %{code} is outside your scope", code = code))),
        }
    }

    /// The region an aggregate covers: `requested` when it lies inside the caller's scope, or
    /// the scope itself. Unlike a list, which may show the part of a wider region the caller
    /// sees, an aggregate of part of a region would be read as the whole: a wider region is 403.
    pub fn aggregate_scope(&self, requested: Option<RegionCode>) -> Result<Scope, ApiError> {
        match requested {
            None => Ok(self.scope.clone()),
            Some(code) if self.scope.contains(&code) => Ok(Scope::Region(code)),
            Some(code) => Err(ApiError::forbidden(text!(
                "region %{code} is outside your scope; an aggregate covers only a region inside it",
                code = code
            ))),
        }
    }

    /// 403 unless the caller is an officer of exactly `district` (or an admin): a district keeps
    /// its own convergence records, lokus villages and teams; the province reads and assesses.
    pub fn require_district_officer(&self, district: &RegionCode) -> Result<(), ApiError> {
        self.require_role(&[Role::Officer])?;
        if self.is_admin() || self.scope == Scope::Region(district.clone()) {
            Ok(())
        } else {
            Err(ApiError::forbidden(text!(
                "only officers of district %{district} may change its records",
                district = district
            )))
        }
    }

    /// 403 unless the caller is an officer of the province of `district` (or a national
    /// officer, or an admin): the province assesses its districts.
    pub fn require_province_officer(&self, district: &RegionCode) -> Result<(), ApiError> {
        self.require_role(&[Role::Officer])?;
        let province_wide = match &self.scope {
            Scope::National => true,
            Scope::Region(code) => code.level() == RegionLevel::Province && code.contains(district),
        };
        if self.is_admin() || province_wide {
            Ok(())
        } else {
            Err(ApiError::forbidden(text!(
                "only officers of the province of %{district} may assess it",
                district = district
            )))
        }
    }

    /// 403 unless the caller may read the district's records: their scope is inside the
    /// district or contains it.
    pub fn require_overlap(&self, code: &RegionCode) -> Result<(), ApiError> {
        if self.scope.overlaps(code) {
            Ok(())
        } else {
            Err(ApiError::forbidden(text!("region %{code} is outside your scope", code = code)))
        }
    }

    /// 403 unless `code` is inside the caller's scope.
    pub fn require_in_scope(&self, code: &RegionCode) -> Result<(), ApiError> {
        if self.scope.contains(code) {
            Ok(())
        } else {
            Err(ApiError::forbidden(text!("region %{code} is outside your scope", code = code)))
        }
    }
}

/// 403 unless `caller` may hold an account with this role and scope in their charge. Admins
/// manage every account. An officer manages cadres and analysts whose scope lies inside the
/// officer's own; nobody else manages accounts.
const OFFICER_MANAGES: [Role; 2] = [Role::Cadre, Role::Analyst];

pub fn require_manageable(caller: &Caller, role: Role, scope: &Scope) -> Result<(), ApiError> {
    match caller.role {
        Role::Admin => Ok(()),
        Role::Officer if !OFFICER_MANAGES.contains(&role) => {
            Err(ApiError::forbidden(text!("an officer manages only cadre and analyst accounts")))
        }
        Role::Officer if !caller.scope.covers(scope) => {
            Err(ApiError::forbidden(text!("the account's scope is outside your own")))
        }
        Role::Officer => Ok(()),
        other => Err(ApiError::forbidden(text!("the %{other} role does not manage accounts", other = other.as_str()))),
    }
}

/// A scope that fits the role: cadres work in one village.
pub fn scope_fits_role(role: Role, scope: &Scope) -> Result<(), Text> {
    match (role, scope) {
        (Role::Cadre, Scope::Region(code)) if code.level() == RegionLevel::Village => Ok(()),
        (Role::Cadre, _) => Err(text!("a cadre's scope must be a village")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;

    fn caller(role: Role, scope: &str) -> Caller {
        Caller { id: UserId::new(), role, scope: Scope::Region(RegionCode::parse(scope).unwrap()) }
    }

    fn region(code: &str) -> Scope {
        Scope::Region(RegionCode::parse(code).unwrap())
    }

    fn code(code: &str) -> RegionCode {
        RegionCode::parse(code).unwrap()
    }

    const VILLAGE: &str = "14.01.01.2009";
    const RECORDS: [Record; 9] = [
        Record::Child,
        Record::Family,
        Record::Team,
        Record::Posyandu,
        Record::Intervention,
        Record::Report,
        Record::Budget,
        Record::Agency,
        Record::Convergence,
    ];

    /// The role check a handler makes before it reads the body is the role part of the write
    /// check: a role it lets through may write in its own district, and one it refuses may
    /// write nowhere.
    #[test]
    fn the_writer_role_check_is_the_role_part_of_the_write_check() {
        for role in Role::ALL.iter().copied().filter(|r| *r != Role::Admin) {
            let own = caller(role, "14.01");
            for record in RECORDS {
                let by_role = own.require_writer_of(record).is_ok();
                let in_own_district = own.require_write(record, &code("14.01")).is_ok();
                assert_eq!(by_role, in_own_district, "{role:?} writing {record:?}");
            }
        }
    }

    #[test]
    fn child_data_never_reaches_a_dashboard() {
        let analyst = caller(Role::Analyst, "14.01");
        assert!(analyst.require_read(Record::Child, &code(VILLAGE)).is_err());
        assert!(analyst.require_write(Record::Child, &code(VILLAGE)).is_err());
        assert!(!analyst.sees_personal_data());
        for role in [Role::Officer, Role::Integration] {
            assert!(caller(role, "14.01").require_read(Record::Child, &code(VILLAGE)).is_ok());
            assert!(caller(role, "14.01").require_write(Record::Child, &code(VILLAGE)).is_ok());
        }
        assert!(caller(Role::Cadre, VILLAGE).require_write(Record::Child, &code(VILLAGE)).is_ok());
    }

    #[test]
    fn nobody_but_an_admin_reads_or_writes_outside_their_region() {
        let outside = code("14.03.01.1001");
        for role in [Role::Officer, Role::Cadre, Role::Analyst, Role::Integration] {
            let caller = caller(role, if role == Role::Cadre { VILLAGE } else { "14.01" });
            for record in RECORDS {
                assert!(caller.require_read(record, &outside).is_err(), "{role:?} read {record:?}");
                assert!(caller.require_write(record, &outside).is_err(), "{role:?} wrote {record:?}");
            }
        }
        let admin = Caller { id: UserId::new(), role: Role::Admin, scope: Scope::National };
        for record in RECORDS {
            assert!(admin.require_read(record, &outside).is_ok());
            assert!(admin.require_write(record, &outside).is_ok());
        }
    }

    #[test]
    fn shared_records_are_read_up_and_down_the_tiers_but_budgets_not_by_cadres() {
        let cadre = caller(Role::Cadre, VILLAGE);
        let district = code("14.01");
        for record in [Record::Team, Record::Intervention, Record::Report, Record::Agency, Record::Convergence] {
            assert!(cadre.require_read(record, &district).is_ok(), "{record:?}");
        }
        assert!(cadre.require_read(Record::Budget, &district).is_err());
        assert!(cadre.require_read(Record::Budget, &code(VILLAGE)).is_ok());
        assert!(caller(Role::Analyst, "14.01.01").require_read(Record::Budget, &district).is_ok());
        assert!(cadre.require_read(Record::Family, &district).is_err());
    }

    #[test]
    fn officers_keep_their_region_and_the_others_only_what_their_role_allows() {
        let officer = caller(Role::Officer, "14.01");
        for record in RECORDS {
            assert!(officer.require_write(record, &code("14.01.01")).is_ok() || record == Record::Convergence);
        }
        let cadre = caller(Role::Cadre, VILLAGE);
        let integration = caller(Role::Integration, "14.01");
        for record in [Record::Team, Record::Intervention, Record::Budget, Record::Agency] {
            assert!(cadre.require_write(record, &code(VILLAGE)).is_err(), "{record:?}");
            assert!(integration.require_write(record, &code(VILLAGE)).is_err(), "{record:?}");
        }
        assert!(cadre.require_write(Record::Report, &code(VILLAGE)).is_ok());
        assert!(cadre.require_write(Record::Posyandu, &code(VILLAGE)).is_ok());
        assert!(cadre.require_write(Record::Posyandu, &code("14.01.01.2010")).is_err(), "another village's");
        assert!(integration.require_write(Record::Posyandu, &code(VILLAGE)).is_err());
        assert!(integration.require_write(Record::Family, &code(VILLAGE)).is_ok());
        assert!(cadre.require_write(Record::Family, &code(VILLAGE)).is_err());
        assert!(cadre.require_verifier(&code(VILLAGE)).is_ok());
        assert!(integration.require_verifier(&code(VILLAGE)).is_err());
    }

    #[test]
    fn a_district_keeps_its_own_convergence_records_and_its_province_assesses() {
        let district = code("14.01");
        assert!(caller(Role::Officer, "14.01").require_write(Record::Convergence, &district).is_ok());
        assert!(caller(Role::Officer, "14").require_write(Record::Convergence, &district).is_err());
        assert!(caller(Role::Officer, "14.01.01").require_write(Record::Convergence, &district).is_err());
        assert!(caller(Role::Officer, "14").require_province_officer(&district).is_ok());
        assert!(caller(Role::Officer, "14.01").require_province_officer(&district).is_err());
        assert!(caller(Role::Officer, "62").require_province_officer(&district).is_err());
    }

    #[test]
    fn national_figures_are_for_national_accounts() {
        let national = Caller { id: UserId::new(), role: Role::Officer, scope: Scope::National };
        assert!(national.require_figure_writer(None).is_ok());
        assert!(caller(Role::Officer, "14").require_figure_writer(None).is_err());
        assert!(caller(Role::Officer, "14").require_figure_writer(Some(&code("14.01"))).is_ok());
        assert!(caller(Role::Analyst, "14").require_figure_writer(Some(&code("14.01"))).is_err());
    }

    #[test]
    fn officer_manages_cadres_and_analysts_inside_scope_only() {
        let officer = caller(Role::Officer, "14.01");
        assert!(require_manageable(&officer, Role::Cadre, &region("14.01.01.2009")).is_ok());
        assert!(require_manageable(&officer, Role::Analyst, &region("14.01")).is_ok());
        assert!(require_manageable(&officer, Role::Cadre, &region("14.03.01.1001")).is_err());
        assert!(require_manageable(&officer, Role::Officer, &region("14.01.01")).is_err());
        assert!(require_manageable(&officer, Role::Analyst, &Scope::National).is_err());
    }

    #[test]
    fn only_admins_and_officers_manage() {
        for role in [Role::Cadre, Role::Analyst, Role::Integration] {
            assert!(require_manageable(&caller(role, "14"), Role::Cadre, &region("14.01.01.2009")).is_err());
        }
        assert!(require_manageable(&caller(Role::Admin, "14"), Role::Admin, &Scope::National).is_ok());
    }

    #[test]
    fn cadres_belong_to_a_village() {
        assert!(scope_fits_role(Role::Cadre, &region("14.01.01.2009")).is_ok());
        assert!(scope_fits_role(Role::Cadre, &region("14.01")).is_err());
        assert!(scope_fits_role(Role::Cadre, &Scope::National).is_err());
        assert!(scope_fits_role(Role::Officer, &region("14")).is_ok());
    }
}
