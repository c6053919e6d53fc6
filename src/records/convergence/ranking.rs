//! The province's monitoring table: districts ranked within their province.

use super::DistrictProgress;

/// Sets `rank` (by actions done, then actions documented) and `documents_rank` (by actions
/// documented, then documents) within each province, ties sharing a rank ("1, 2, 2, 4"), and
/// orders the rows by province, then rank, then code.
pub fn rank(rows: &mut [DistrictProgress]) {
    let progress = |d: &DistrictProgress| (d.actions_done, d.actions_with_documents);
    let documents = |d: &DistrictProgress| (d.actions_with_documents, d.documents_per_action.iter().sum::<i64>());
    let ranks: Vec<(i64, i64)> = rows
        .iter()
        .map(|row| {
            let peers = rows.iter().filter(|other| other.province_code == row.province_code);
            let ahead_by = |key: &dyn Fn(&DistrictProgress) -> (i64, i64)| {
                1 + peers.clone().filter(|other| key(other) > key(row)).count() as i64
            };
            (ahead_by(&progress), ahead_by(&documents))
        })
        .collect();
    for (row, (rank, documents_rank)) in rows.iter_mut().zip(ranks) {
        row.rank = rank;
        row.documents_rank = documents_rank;
    }
    rows.sort_by(|a, b| {
        (a.province_code.as_str(), a.rank, a.district_code.as_str()).cmp(&(
            b.province_code.as_str(),
            b.rank,
            b.district_code.as_str(),
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RegionCode;

    fn district(code: &str, done: i64, documents: [i64; 8]) -> DistrictProgress {
        let code = RegionCode::parse(code).unwrap();
        DistrictProgress {
            province_code: code.parent().unwrap(),
            district_code: code,
            district_name: String::new(),
            actions_done: done,
            actions_in_progress: 0,
            latest_action_done: None,
            actions_with_documents: documents.iter().filter(|n| **n > 0).count() as i64,
            documents_per_action: documents.to_vec(),
            documents_up_to_action: None,
            lokus_villages: 0,
            assessment_score: None,
            rank: 0,
            documents_rank: 0,
        }
    }

    #[test]
    fn ranks_within_each_province_with_shared_ranks_for_ties() {
        let mut rows = vec![
            district("14.01", 3, [1, 1, 0, 0, 0, 0, 0, 0]),
            district("14.03", 5, [1, 1, 1, 1, 0, 0, 0, 0]),
            district("14.04", 3, [1, 1, 0, 0, 0, 0, 0, 0]),
            district("14.05", 2, [5, 5, 5, 0, 0, 0, 0, 0]),
            district("17.04", 1, [0; 8]),
        ];
        rank(&mut rows);
        let seen: Vec<(&str, i64, i64)> =
            rows.iter().map(|r| (r.district_code.as_str(), r.rank, r.documents_rank)).collect();
        assert_eq!(seen, [("14.03", 1, 1), ("14.01", 2, 3), ("14.04", 2, 3), ("14.05", 4, 2), ("17.04", 1, 1)]);
    }
}
