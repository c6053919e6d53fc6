//! The LMS tables, compiled into the binary from `data/who/` and laid out as arrays indexed
//! by day or by tenth of a centimetre, so a lookup is one multiplication and one index.

use std::sync::LazyLock;

use crate::domain::Sex;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lms {
    pub l: f64,
    pub m: f64,
    pub s: f64,
}

/// One indicator's rows for both sexes, indexed from `first` in steps of `step`.
pub struct Table {
    male: Vec<Lms>,
    female: Vec<Lms>,
    first: f64,
    step: f64,
}

impl Table {
    fn rows(&self, sex: Sex) -> &[Lms] {
        match sex {
            Sex::Male => &self.male,
            Sex::Female => &self.female,
        }
    }

    /// The row at index `i` (days, for age tables).
    pub fn at(&self, sex: Sex, i: usize) -> Option<Lms> {
        self.rows(sex).get(i).copied()
    }

    /// L, M and S at `x` (cm), interpolated linearly between the rows around it.
    pub fn interpolate(&self, sex: Sex, x: f64) -> Option<Lms> {
        let rows = self.rows(sex);
        let position = (x - self.first) / self.step;
        let nearest = position.round();
        // On the grid (all real measurements, to the millimetre): the row itself.
        if (position - nearest).abs() < 1e-6 {
            return (nearest >= 0.0).then(|| rows.get(nearest as usize).copied()).flatten();
        }
        let low = position.floor();
        if low < 0.0 {
            return None;
        }
        let (a, b) = (rows.get(low as usize)?, rows.get(low as usize + 1)?);
        let t = position - low;
        let mix = |p: f64, q: f64| p + (q - p) * t;
        Some(Lms { l: mix(a.l, b.l), m: mix(a.m, b.m), s: mix(a.s, b.s) })
    }
}

pub struct Standards {
    pub length_for_age: Table,
    pub weight_for_age: Table,
    pub weight_for_length: Table,
    pub weight_for_height: Table,
}

pub static STANDARDS: LazyLock<Standards> = LazyLock::new(|| Standards {
    length_for_age: parse(include_str!("../../data/who/lhfa.csv"), 0.0, 1.0),
    weight_for_age: parse(include_str!("../../data/who/wfa.csv"), 0.0, 1.0),
    weight_for_length: parse(include_str!("../../data/who/wfl.csv"), 45.0, 0.1),
    weight_for_height: parse(include_str!("../../data/who/wfh.csv"), 65.0, 0.1),
});

/// Reads `sex,<x>,l,m,s[,loh]` rows sorted by x. The files are compiled in and checked by the
/// tests below, so a malformed row is a build defect, not a runtime condition.
fn parse(csv: &str, first: f64, step: f64) -> Table {
    let mut table = Table { male: Vec::new(), female: Vec::new(), first, step };
    for line in csv.lines().skip(1).filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let number = |i: usize| fields[i].parse::<f64>().expect("WHO table cell is a number");
        let lms = Lms { l: number(2), m: number(3), s: number(4) };
        let x = number(1);
        let rows = if fields[0] == "M" { &mut table.male } else { &mut table.female };
        assert!((x - (first + step * rows.len() as f64)).abs() < 1e-6, "WHO table rows must be contiguous and sorted");
        rows.push(lms);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_cover_their_documented_ranges() {
        let s = &*STANDARDS;
        for sex in [Sex::Male, Sex::Female] {
            assert_eq!(s.length_for_age.rows(sex).len(), 1827);
            assert_eq!(s.weight_for_age.rows(sex).len(), 1827);
            assert_eq!(s.weight_for_length.rows(sex).len(), 651);
            assert_eq!(s.weight_for_height.rows(sex).len(), 551);
        }
        assert_eq!(s.length_for_age.at(Sex::Male, 0).unwrap(), Lms { l: 1.0, m: 49.8842, s: 0.03795 });
    }

    #[test]
    fn interpolation_hits_rows_exactly_and_blends_between_them() {
        let wfl = &STANDARDS.weight_for_length;
        let row = wfl.interpolate(Sex::Female, 75.3).unwrap();
        assert_eq!(Some(row), wfl.at(Sex::Female, 303));
        let (a, b) = (wfl.at(Sex::Female, 303).unwrap(), wfl.at(Sex::Female, 304).unwrap());
        let mid = wfl.interpolate(Sex::Female, 75.35).unwrap();
        assert!((mid.m - (a.m + b.m) / 2.0).abs() < 1e-9);
        assert!(wfl.interpolate(Sex::Female, 44.9).is_none());
        assert!(wfl.interpolate(Sex::Female, 110.1).is_none());
        assert!(wfl.interpolate(Sex::Female, 110.0).is_some());
    }
}
