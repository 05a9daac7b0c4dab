//! The Hamafza services' shared protobuf contracts, generated at build time
//! from `proto/hamafza/**.proto`.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

/// Generated packages, laid out as the protobuf package names.
pub mod hamafza {
    pub mod common {
        pub mod v1 {
            tonic::include_proto!("hamafza.common.v1");
        }
    }
    pub mod courses {
        pub mod v1 {
            tonic::include_proto!("hamafza.courses.v1");
        }
    }
    pub mod enrolments {
        pub mod v1 {
            tonic::include_proto!("hamafza.enrolments.v1");
        }
    }
    pub mod certification {
        pub mod v1 {
            tonic::include_proto!("hamafza.certification.v1");
        }
    }
    pub mod notifications {
        pub mod v1 {
            tonic::include_proto!("hamafza.notifications.v1");
        }
    }
    pub mod library {
        pub mod v1 {
            tonic::include_proto!("hamafza.library.v1");
        }
    }
}

pub use hamafza::certification::v1 as certification;
pub use hamafza::common::v1 as common;
pub use hamafza::courses::v1 as courses;
pub use hamafza::enrolments::v1 as enrolments;
pub use hamafza::library::v1 as library;
pub use hamafza::notifications::v1 as notifications;

/// The encoded `FileDescriptorSet` of every contract, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/hamafza_descriptor.bin"));
