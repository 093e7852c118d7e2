//! Status.io's public status API (placeholder).
use serde_json::{Value, json};

use crate::data::View;

pub fn status(view: &View) -> Value {
    json!({"result": {"status_overall": {"status_code": view.status.level.statusio_code()}}})
}
