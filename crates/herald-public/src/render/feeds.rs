//! RSS 2.0 and Atom feeds of the page's history (placeholder).
use crate::data::View;

pub fn rss(view: &View) -> String {
    format!(
        "<rss version=\"2.0\"><channel><title>{}</title></channel></rss>",
        view.page().id
    )
}

pub fn atom(view: &View) -> String {
    format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><id>{}</id></feed>",
        view.page().id
    )
}
