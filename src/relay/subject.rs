//! The subject a change is published under.

/// `stunting.changes.<province>.<district>.<entity>`. A subject's tokens are split by dots, so a
/// district is its Kemendagri code without them: village `14.01.01.2009` is `14.1401`, a
/// province-wide record `14._`, a record of no region `_._`. A consumer takes a province with
/// `stunting.changes.14.>` and one kind everywhere with `stunting.changes.*.*.child`.
pub fn subject(entity: &str, region_code: &str) -> String {
    let mut parts = region_code.split('.').filter(|p| !p.is_empty());
    let province = parts.next();
    let district = province.zip(parts.next()).map(|(p, d)| format!("{p}{d}"));
    format!(
        "stunting.changes.{}.{}.{}",
        token(province.unwrap_or("_")),
        token(district.as_deref().unwrap_or("_")),
        token(entity)
    )
}

/// Anything but letters, digits, `_` and `-` (wildcards, spaces) as `_`: nothing written by a
/// row can widen or split a subject.
fn token(raw: &str) -> String {
    raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::subject;

    #[test]
    fn subjects_name_the_province_and_district_without_dots() {
        assert_eq!(subject("child", "14.01.01.2009"), "stunting.changes.14.1401.child");
        assert_eq!(subject("intervention", "14.01"), "stunting.changes.14.1401.intervention");
        assert_eq!(subject("budget", "14"), "stunting.changes.14._.budget");
        assert_eq!(subject("team", ""), "stunting.changes._._.team");
        assert_eq!(subject("a.b *>", "1 4.0>"), "stunting.changes.1_4.1_40_.a_b___");
    }
}
