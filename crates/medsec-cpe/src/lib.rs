//! CPE 2.3 names (NISTIR 7695), their matching (NISTIR 7696) and the NVD
//! applicability configurations of CVE API 2.0 records, evaluated against
//! the CPE inventory of one device. Pure: no IO, no logging.
//!
//! The pieces, from the bottom up:
//!
//! - [`Cpe`] parses the formatted string binding (`cpe:2.3:…`) and the
//!   CPE 2.2 URI binding (`cpe:/…`), and writes the canonical formatted
//!   string. Each attribute is a [`Value`]: ANY, NA or a string, possibly
//!   with `*`/`?` wildcards at its start or end.
//! - [`Cpe::compare`] is NISTIR 7696's attribute-by-attribute comparison;
//!   [`Cpe::matches`] is its CPE_SUPERSET, "the target is an instance of
//!   this criterion", and allocates nothing.
//! - [`NvdVersion`] orders the free-form versions of NVD version bounds.
//! - [`Configurations`] are the `configurations` of an NVD CVE record,
//!   with exactly NVD's field names; [`Configuration::evaluate`] says
//!   whether an inventory satisfies one, and why.

mod config;
mod matching;
mod name;
mod version;

pub use config::{
    Bound, ConfigMatch, Configuration, Configurations, CpeMatch, CpeMatchError, CriterionHit, Node,
    Operator,
};
pub use matching::{Comparison, Relation, compare};
pub use name::{Attribute, Cpe, CpeError, CpeErrorKind, Text, Value, ValueError, Wildcard};
pub use version::NvdVersion;
