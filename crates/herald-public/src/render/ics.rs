//! The maintenance calendar (placeholder).
use crate::data::View;

pub fn calendar(view: &View) -> String {
    let _ = view;
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n".into()
}
