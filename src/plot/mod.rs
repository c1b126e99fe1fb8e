//! Plot helpers shared by every chart memsnn draws.
//!
//! Charts are drawn with plotters: SVG (text as `<text>` elements, no font needed) or PNG
//! (text rasterised with the bundled DejaVu Sans font, so no system font library is needed).

use std::path::{Path, PathBuf};
use std::sync::Once;

mod chip;
pub mod learn;
pub mod sweep;

pub use chip::draw_placement;

/// Why a plot could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The output file's extension is neither `.svg` nor `.png`.
    #[error("{}: unsupported plot format (use .svg or .png)", path.display())]
    Format {
        /// The requested output file.
        path: PathBuf,
    },
    /// The drawing backend failed.
    #[error("{}: cannot draw plot: {message}", path.display())]
    Draw {
        /// The output file.
        path: PathBuf,
        /// The backend's message.
        message: String,
    },
}

/// Output format of a chart, chosen from the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics.
    Svg,
    /// Portable network graphics.
    Png,
}

impl Format {
    /// The format for `path`'s extension (case-insensitive).
    pub fn from_path(path: &Path) -> Result<Self, PlotError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("svg") => Ok(Format::Svg),
            Some("png") => Ok(Format::Png),
            _ => Err(PlotError::Format {
                path: path.to_path_buf(),
            }),
        }
    }
}

static FONT: Once = Once::new();

/// Register the bundled font for bitmap output (idempotent; call before drawing a PNG).
pub fn register_fonts() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        for style in [
            plotters::style::FontStyle::Normal,
            plotters::style::FontStyle::Bold,
            plotters::style::FontStyle::Italic,
            plotters::style::FontStyle::Oblique,
        ] {
            // The bundled font is known-good, so registration cannot fail.
            let _ = plotters::style::register_font("sans-serif", style, bytes);
        }
    });
}

/// Turn any drawing error into a [`PlotError::Draw`] for `path`.
pub fn draw_err<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> PlotError + '_ {
    move |e| PlotError::Draw {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}
