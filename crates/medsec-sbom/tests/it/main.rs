//! The integration tests of medsec-sbom, in one binary: the reference
//! tools on read and written SBOMs (`interop`), on generated ones
//! (`generate_interop`), and generation compared with syft
//! (`generate_syft`).

mod generate_interop;
mod generate_syft;
mod interop;
