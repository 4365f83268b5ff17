//! The CVSS v4.0 MacroVector scores (specification section 8.3), and the
//! highest severity vectors and depths of each equivalence set (sections
//! 8.2 and 8.4), as data.
//!
//! The scores are those of `cvss_lookup.js` of the FIRST reference
//! calculator (github.com/FIRSTdotorg/cvss-v4-calculator, BSD-2-Clause,
//! copyright FIRST, Red Hat, and contributors), in tenths, indexed by
//! [`index`]; the calculator and the specification name 270 of the 324
//! combinations of EQ levels, the others are [`NO`].

/// A combination of EQ levels that is no MacroVector.
pub(super) const NO: u8 = u8::MAX;

/// The position of MacroVector `eq` (EQ1–EQ6 levels) in [`SCORES`], or
/// `None` when a level is out of range.
pub(super) fn index(eq: [u8; 6]) -> Option<usize> {
    let [e1, e2, e3, e4, e5, e6] = eq.map(usize::from);
    (e1 < 3 && e2 < 2 && e3 < 3 && e4 < 3 && e5 < 3 && e6 < 2)
        .then_some(e1 * 108 + e2 * 54 + e3 * 18 + e4 * 6 + e5 * 2 + e6)
}

/// MacroVector scores in tenths, by [`index`].
#[rustfmt::skip]
pub(super) static SCORES: [u8; 324] = [
    // EQ1 0, EQ2 0, EQ3 0: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    100, 99, 98, 95, 95, 92, 100, 96, 93, 87, 91, 81, 93, 90, 89, 80, 81, 68,
    // EQ1 0, EQ2 0, EQ3 1: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    98, 95, 95, 92, 90, 84, 93, 92, 89, 81, 81, 65, 88, 80, 78, 70, 69, 48,
    // EQ1 0, EQ2 0, EQ3 2: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    NO, 92, NO, 82, NO, 72, NO, 79, NO, 69, NO, 50, NO, 69, NO, 55, NO, 27,
    // EQ1 0, EQ2 1, EQ3 0: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    99, 97, 95, 92, 92, 85, 95, 91, 90, 83, 84, 71, 92, 81, 82, 71, 72, 53,
    // EQ1 0, EQ2 1, EQ3 1: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    95, 93, 92, 85, 85, 73, 92, 82, 80, 72, 70, 59, 84, 70, 71, 52, 50, 30,
    // EQ1 0, EQ2 1, EQ3 2: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    NO, 86, NO, 75, NO, 52, NO, 71, NO, 52, NO, 29, NO, 63, NO, 29, NO, 17,
    // EQ1 1, EQ2 0, EQ3 0: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    98, 95, 94, 87, 91, 81, 94, 89, 86, 74, 77, 64, 87, 75, 74, 63, 63, 49,
    // EQ1 1, EQ2 0, EQ3 1: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    94, 89, 88, 77, 76, 67, 86, 76, 74, 58, 59, 50, 72, 57, 57, 52, 52, 25,
    // EQ1 1, EQ2 0, EQ3 2: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    NO, 83, NO, 70, NO, 54, NO, 65, NO, 58, NO, 26, NO, 53, NO, 21, NO, 13,
    // EQ1 1, EQ2 1, EQ3 0: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    95, 90, 88, 76, 76, 70, 90, 77, 75, 62, 61, 53, 77, 66, 68, 59, 52, 30,
    // EQ1 1, EQ2 1, EQ3 1: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    89, 78, 76, 67, 62, 58, 74, 59, 57, 57, 47, 23, 61, 52, 57, 29, 24, 16,
    // EQ1 1, EQ2 1, EQ3 2: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    NO, 71, NO, 59, NO, 30, NO, 58, NO, 26, NO, 15, NO, 23, NO, 13, NO, 6,
    // EQ1 2, EQ2 0, EQ3 0: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    93, 87, 86, 72, 75, 58, 86, 74, 74, 61, 56, 34, 70, 54, 52, 40, 40, 22,
    // EQ1 2, EQ2 0, EQ3 1: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    85, 75, 74, 55, 62, 51, 72, 57, 55, 41, 46, 19, 53, 36, 34, 19, 19, 8,
    // EQ1 2, EQ2 0, EQ3 2: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    NO, 64, NO, 51, NO, 20, NO, 47, NO, 21, NO, 11, NO, 24, NO, 9, NO, 4,
    // EQ1 2, EQ2 1, EQ3 0: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    88, 75, 73, 53, 60, 50, 73, 55, 59, 40, 41, 20, 54, 43, 45, 22, 20, 11,
    // EQ1 2, EQ2 1, EQ3 1: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    75, 55, 58, 45, 40, 21, 61, 51, 48, 18, 20, 9, 46, 18, 17, 7, 8, 2,
    // EQ1 2, EQ2 1, EQ3 2: EQ4 0–2 × EQ5 0–2 × EQ6 0–1
    NO, 53, NO, 24, NO, 14, NO, 24, NO, 12, NO, 5, NO, 10, NO, 3, NO, 1,
];

/// The highest severity vectors of each EQ1 level (Table 24), as
/// severity levels of (AV, PR, UI).
pub(super) static EQ1_MAX: [&[[u8; 3]]; 3] = [
    // AV:N/PR:N/UI:N
    &[[0, 0, 0]],
    // AV:A/PR:N/UI:N, AV:N/PR:L/UI:N, AV:N/PR:N/UI:P
    &[[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    // AV:P/PR:N/UI:N, AV:A/PR:L/UI:P
    &[[3, 0, 0], [1, 1, 1]],
];

/// The highest severity vectors of each EQ2 level (Table 25), as levels
/// of (AC, AT).
pub(super) static EQ2_MAX: [&[[u8; 2]]; 2] = [
    // AC:L/AT:N
    &[[0, 0]],
    // AC:H/AT:N, AC:L/AT:P
    &[[1, 0], [0, 1]],
];

/// The highest severity vectors of each EQ3 and EQ6 level (Table 30), as
/// levels of (VC, VI, VA, CR, IR, AR); EQ3 2 with EQ6 0 cannot happen.
pub(super) static EQ3_EQ6_MAX: [[&[[u8; 6]]; 2]; 3] = [
    [
        // VC:H/VI:H/VA:H/CR:H/IR:H/AR:H
        &[[0, 0, 0, 0, 0, 0]],
        // VC:H/VI:H/VA:L/CR:M/IR:M/AR:H, VC:H/VI:H/VA:H/CR:M/IR:M/AR:M
        &[[0, 0, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1]],
    ],
    [
        // VC:L/VI:H/VA:H/CR:H/IR:H/AR:H, VC:H/VI:L/VA:H/CR:H/IR:H/AR:H
        &[[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0]],
        // VC:L/VI:H/VA:L/CR:H/IR:M/AR:H, VC:L/VI:H/VA:H/CR:H/IR:M/AR:M,
        // VC:H/VI:L/VA:H/CR:M/IR:H/AR:M, VC:H/VI:L/VA:L/CR:M/IR:H/AR:H,
        // VC:L/VI:L/VA:H/CR:H/IR:H/AR:M
        &[
            [1, 0, 1, 0, 1, 0],
            [1, 0, 0, 0, 1, 1],
            [0, 1, 0, 1, 0, 1],
            [0, 1, 1, 1, 0, 0],
            [1, 1, 0, 0, 0, 1],
        ],
    ],
    [
        &[],
        // VC:L/VI:L/VA:L/CR:H/IR:H/AR:H
        &[[1, 1, 1, 0, 0, 0]],
    ],
];

/// The highest severity vectors of each EQ4 level (Table 27), as levels
/// of (SC, SI, SA): SC H 1, L 2, N 3; SI and SA S 0, H 1, L 2, N 3.
pub(super) static EQ4_MAX: [&[[u8; 3]]; 3] = [
    // SC:H/SI:S/SA:S
    &[[1, 0, 0]],
    // SC:H/SI:H/SA:H
    &[[1, 1, 1]],
    // SC:L/SI:L/SA:L
    &[[2, 2, 2]],
];

/// The depth of each equivalence set in severity steps, plus one (the
/// calculator's `max_severity.js`).
pub(super) const DEPTH_EQ1: [u8; 3] = [1, 4, 5];
pub(super) const DEPTH_EQ2: [u8; 2] = [1, 2];
pub(super) const DEPTH_EQ3_EQ6: [[u8; 2]; 3] = [[7, 6], [8, 8], [0, 10]];
pub(super) const DEPTH_EQ4: [u8; 3] = [6, 5, 4];
