//! Loads the Kemendagri region list (`code,parent_code,level,name`, as in `data/regions.csv`).
//! Idempotent: new codes are inserted, changed names updated, everything else left alone, so
//! running it twice changes nothing. One statement over `unnest`ed arrays loads the 91,599
//! rows in about a second, where row-by-row inserts would take minutes.

use crate::domain::{RegionCode, RegionLevel};
use anyhow::{Context, bail};
use diesel::sql_types::{Array, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// The list shipped with the service (Kepmendagri No. 300.2.2-2138 of 2025, via
/// idn-area-data 4.0.1, ODbL: see `data/README.md`).
pub const BUNDLED_CSV: &[u8] = include_bytes!("../../../data/regions.csv");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub code: RegionCode,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows: usize,
    pub inserted: usize,
    pub renamed: usize,
}

/// Parses and checks the whole file before anything is written: a bad line names its line
/// number, and each row's level and parent must agree with its code.
pub fn parse_csv(bytes: &[u8]) -> anyhow::Result<Vec<ImportRow>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().context("the region file has no header line")?.clone();
    if headers.iter().collect::<Vec<_>>() != ["code", "parent_code", "level", "name"] {
        bail!("the region file's header must be code,parent_code,level,name");
    }
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.with_context(|| format!("line {line} is not valid CSV"))?;
        let code = RegionCode::parse(&record[0]).with_context(|| format!("line {line}: bad code {:?}", &record[0]))?;
        let parent = code.parent().map(|p| p.to_string()).unwrap_or_default();
        if record[1] != parent {
            bail!("line {line}: parent_code {:?} does not match code {code}", &record[1]);
        }
        let level: RegionLevel = record[2].parse().with_context(|| format!("line {line}: bad level"))?;
        if level != code.level() {
            bail!("line {line}: level {} does not match code {code}", level.as_str());
        }
        let name = clean_name(&record[3]);
        if name.is_empty() {
            bail!("line {line}: region {code} has no name");
        }
        if !seen.insert(code.clone()) {
            bail!("line {line}: code {code} appears twice");
        }
        rows.push(ImportRow { code, name });
    }
    Ok(rows)
}

/// The source has two known blemishes: `"` where an apostrophe belongs (`Ra"as` is Ra'as)
/// and a stray full stop at the end of a few names. Whitespace runs are folded.
pub fn clean_name(raw: &str) -> String {
    let folded = raw.split_whitespace().collect::<Vec<_>>().join(" ").replace('"', "'");
    folded.trim_end_matches('.').trim_end().to_owned()
}

pub async fn import(conn: &mut AsyncPgConnection, rows: &[ImportRow]) -> anyhow::Result<ImportSummary> {
    let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    let parents: Vec<Option<String>> = rows.iter().map(|r| r.code.parent().map(|p| p.to_string())).collect();
    let levels: Vec<&str> = rows.iter().map(|r| r.code.level().as_str()).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();

    conn.transaction::<_, anyhow::Error, _>(async move |conn| {
        let before = count(conn).await?;
        // SQL: an upsert from `unnest` arrays that changes only rows that differ (DO UPDATE … WHERE).
        let changed = diesel::sql_query(
            "INSERT INTO regions (code, parent_code, level, name) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) \
                 ON CONFLICT (code) DO UPDATE \
                   SET name = EXCLUDED.name, version = regions.version + 1, updated_at = now() \
                   WHERE regions.name IS DISTINCT FROM EXCLUDED.name",
        )
        .bind::<Array<Text>, _>(&codes)
        .bind::<Array<diesel::sql_types::Nullable<Text>>, _>(&parents)
        .bind::<Array<Text>, _>(&levels)
        .bind::<Array<Text>, _>(&names)
        .execute(conn)
        .await
        .context("cannot write regions")?;
        let inserted = usize::try_from(count(conn).await? - before)?;
        Ok(ImportSummary { rows: codes.len(), inserted, renamed: changed - inserted })
    })
    .await
}

async fn count(conn: &mut AsyncPgConnection) -> anyhow::Result<i64> {
    use crate::db::schema::regions;
    use diesel::QueryDsl;
    Ok(regions::table.count().get_result(conn).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_the_known_blemishes() {
        assert_eq!(clean_name(r#"Ra"as"#), "Ra'as");
        assert_eq!(clean_name("Murung A."), "Murung A");
        assert_eq!(clean_name("  Lubuk   Pakam I,II "), "Lubuk Pakam I,II");
    }

    #[test]
    fn bundled_file_parses_completely() {
        let rows = parse_csv(BUNDLED_CSV).unwrap();
        assert_eq!(rows.len(), 91_599);
        let count = |level| rows.iter().filter(|r| r.code.level() == level).count();
        assert_eq!(count(RegionLevel::Province), 38);
        assert_eq!(count(RegionLevel::District), 514);
        assert_eq!(count(RegionLevel::Subdistrict), 7_285);
        assert_eq!(count(RegionLevel::Village), 83_762);
        assert!(rows.iter().all(|r| !r.name.contains('"') && !r.name.ends_with('.')));
    }

    #[test]
    fn rejects_a_row_whose_level_disagrees_with_its_code() {
        let csv = b"code,parent_code,level,name\n14,,district,Riau\n";
        let error = parse_csv(csv).unwrap_err().to_string();
        assert!(error.contains("line 2"), "{error}");
    }

    #[test]
    fn rejects_duplicate_codes() {
        let csv = b"code,parent_code,level,name\n14,,province,Riau\n14,,province,Riau\n";
        assert!(parse_csv(csv).unwrap_err().to_string().contains("twice"));
    }

    #[test]
    fn rejects_a_wrong_parent() {
        let csv = b"code,parent_code,level,name\n14.01,13,district,Kampar\n";
        assert!(parse_csv(csv).is_err());
    }
}
