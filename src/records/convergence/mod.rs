//! The convergence framework: the eight actions, their documents and the province's assessment.

pub mod action;
pub mod assessment;
pub mod document;
pub mod monitoring;
pub mod progress;
pub mod ranking;

pub use action::{Action, ActionWrite, ProgressRow, actions, insert_action, lock_action, progress, update_action};
pub use assessment::{Assessment, AssessmentUpdate, assessment, save_assessment};
pub use document::{
    Document, DocumentBody, NewDocument, document_content, documents, find_any_document, find_document,
    insert_document, lock_document,
};
pub use monitoring::{DistrictCounts, DistrictProgress, ProgressTotals, district_counts, progress_totals};
