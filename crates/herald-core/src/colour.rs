//! The page's colours for readers whose system asks for a dark scheme, kept legible by the
//! WCAG 2 contrast rules: text at 4.5:1 against its background.
use crate::branding::Colors;

/// What the dark scheme puts behind the text when the page's own background is light.
pub const DARK_BACKGROUND: &str = "#0d1117";
pub const DARK_TEXT: &str = "#e6edf3";

/// The contrast WCAG 2 asks of body text (AA).
const TEXT_CONTRAST: f64 = 4.5;

/// A colour as red, green and blue from 0 to 255.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rgb([u8; 3]);

impl Rgb {
    /// `#rgb` or `#rrggbb`, as branding validation accepts them.
    fn parse(value: &str) -> Option<Rgb> {
        let hex = value.strip_prefix('#')?;
        let digit = |i: usize| u8::from_str_radix(hex.get(i..i + 1)?, 16).ok();
        match hex.len() {
            3 => Some(Rgb([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17])),
            6 => {
                let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
                Some(Rgb([byte(0)?, byte(2)?, byte(4)?]))
            }
            _ => None,
        }
    }

    fn hex(self) -> String {
        let [r, g, b] = self.0;
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// WCAG 2's relative luminance.
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.0;
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    /// `share` of the way towards white, from 0 to 1.
    fn towards_white(self, share: f64) -> Rgb {
        Rgb(self
            .0
            .map(|c| (f64::from(c) + (255.0 - f64::from(c)) * share).round() as u8))
    }
}

fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// A background dark enough that the dark scheme keeps it as it is.
fn is_dark(background: Rgb) -> bool {
    background.luminance() < 0.2
}

/// The colours for the dark scheme: a page that is dark already keeps its own; a light one
/// gets a dark background and light text, and its accent lightened just enough to read.
pub fn dark_scheme(colors: &Colors) -> Colors {
    let background = Rgb::parse(&colors.background);
    if background.is_none_or(is_dark) {
        return colors.clone();
    }
    let dark = Rgb::parse(DARK_BACKGROUND).expect("a valid colour");
    let accent = Rgb::parse(&colors.accent).map(|accent| {
        (0..=20)
            .map(|step| accent.towards_white(f64::from(step) / 20.0))
            .find(|c| contrast(*c, dark) >= TEXT_CONTRAST)
            .unwrap_or(Rgb([255; 3]))
    });
    Colors {
        accent: accent.map_or_else(|| colors.accent.clone(), Rgb::hex),
        background: DARK_BACKGROUND.into(),
        text: DARK_TEXT.into(),
    }
}

/// White or black, whichever reads better on `background` (button labels on the
/// accent colour).
pub fn text_on(background: &str) -> &'static str {
    let (white, black) = ("#ffffff", "#000000");
    match Rgb::parse(background) {
        Some(bg) if contrast(bg, Rgb([0; 3])) > contrast(bg, Rgb([255; 3])) => black,
        _ => white,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn contrast_matches_the_wcag_figures() {
        let black = Rgb::parse("#000").unwrap();
        let white = Rgb::parse("#ffffff").unwrap();
        assert!((contrast(black, white) - 21.0).abs() < 1e-9);
        // #767676 on white is the classic 4.54:1.
        let grey = Rgb::parse("#767676").unwrap();
        assert!((contrast(grey, white) - 4.54).abs() < 0.01);
    }

    #[test]
    fn a_light_page_turns_dark_and_its_accent_stays_readable() {
        let light = Colors::default();
        let dark = dark_scheme(&light);
        assert_eq!(dark.background, DARK_BACKGROUND);
        assert_eq!(dark.text, DARK_TEXT);
        assert_ne!(dark.accent, light.accent, "#1d4ed8 is too dark on #0d1117");
        let bg = Rgb::parse(DARK_BACKGROUND).unwrap();
        assert!(contrast(Rgb::parse(&dark.accent).unwrap(), bg) >= TEXT_CONTRAST);
    }

    #[test]
    fn a_page_that_is_dark_already_keeps_its_colours() {
        let own = Colors {
            accent: "#ffcc00".into(),
            background: "#202020".into(),
            text: "#f0f0f0".into(),
        };
        assert_eq!(dark_scheme(&own), own);
    }

    #[test]
    fn buttons_take_the_label_colour_that_reads() {
        assert_eq!(text_on("#1d4ed8"), "#ffffff");
        assert_eq!(text_on("#ffcc00"), "#000000");
        assert_eq!(text_on("#fff"), "#000000");
    }

    proptest! {
        #[test]
        fn every_accent_reads_on_the_dark_background(r: u8, g: u8, b: u8) {
            let light = Colors { accent: Rgb([r, g, b]).hex(), ..Colors::default() };
            let dark = dark_scheme(&light);
            let bg = Rgb::parse(&dark.background).unwrap();
            prop_assert!(contrast(Rgb::parse(&dark.accent).unwrap(), bg) >= TEXT_CONTRAST);
            let label = Rgb::parse(text_on(&dark.accent)).unwrap();
            prop_assert!(contrast(label, Rgb::parse(&dark.accent).unwrap()) >= TEXT_CONTRAST);
        }
    }
}
