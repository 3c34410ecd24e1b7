//! Fits a table to a width: long values are cut to a common width with an
//! ellipsis, and when even that is too wide, middle columns give way to a
//! marker column, as DuckDB's shell does.

use unicode_width::UnicodeWidthChar;
use unicode_width::UnicodeWidthStr;

/// Columns narrower than this are never cut to fit every column in.
pub const MIN_CUT_WIDTH: usize = 12;

/// When not every column fits, the ones shown are cut to this width, so
/// that dates, timestamps and short texts stay whole.
pub const ELIDED_TABLE_CUT_WIDTH: usize = 20;

/// The text drawn in place of the columns left out.
pub const ELIDED_MARK: &str = "…";

/// Which columns a table shows and how wide each is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The columns drawn, left to right: `Some(i)` for the result's column
    /// `i`, `None` for the marker standing in for the columns left out.
    pub columns: Vec<Option<usize>>,
    /// The width each drawn column's text is cut to, beside `columns`.
    pub widths: Vec<usize>,
}

impl Layout {
    /// How many of the result's columns are drawn.
    pub fn shown_columns(&self) -> usize {
        self.columns.iter().flatten().count()
    }
}

/// The width of a drawn table whose columns have `widths`: a space either
/// side of each value and a line between and around columns.
fn drawn_width(widths: impl Iterator<Item = usize>) -> usize {
    widths.map(|w| w + 3).sum::<usize>() + 1
}

/// Lays out columns whose widest texts are `natural` wide within
/// `max_width` (no limit when None).
pub fn fit(natural: &[usize], max_width: Option<usize>) -> Layout {
    let all = Layout {
        columns: (0..natural.len()).map(Some).collect(),
        widths: natural.to_vec(),
    };
    let Some(max_width) = max_width else {
        return all;
    };
    if drawn_width(natural.iter().copied()) <= max_width {
        return all;
    }
    // The widest cap at which every column fits; cutting below
    // MIN_CUT_WIDTH makes values unreadable, so columns go instead.
    let widest = natural.iter().copied().max().unwrap_or(0);
    let cap = (MIN_CUT_WIDTH..=widest)
        .rev()
        .find(|&cap| drawn_width(natural.iter().map(|&w| w.min(cap))) <= max_width);
    if let Some(cap) = cap {
        return Layout {
            columns: all.columns,
            widths: natural.iter().map(|&w| w.min(cap)).collect(),
        };
    }
    let capped: Vec<usize> = natural
        .iter()
        .map(|&w| w.min(ELIDED_TABLE_CUT_WIDTH))
        .collect();
    elide_middle(&capped, max_width)
}

/// Keeps columns from both ends, alternately, while they and the marker
/// column fit in `max_width`; at least the first column stays.
fn elide_middle(widths: &[usize], max_width: usize) -> Layout {
    let marker = ELIDED_MARK.width();
    let (mut left, mut right) = (0, widths.len());
    let mut used = drawn_width(std::iter::once(marker));
    let mut take_left = true;
    while left < right {
        let next = if take_left { left } else { right - 1 };
        let cost = widths[next] + 3;
        if used + cost > max_width && left > 0 {
            break;
        }
        used += cost;
        if take_left {
            left += 1;
        } else {
            right -= 1;
        }
        take_left = !take_left;
    }
    let mut columns: Vec<Option<usize>> = (0..left).map(Some).collect();
    let mut drawn: Vec<usize> = widths[..left].to_vec();
    if left < right {
        columns.push(None);
        drawn.push(marker);
    }
    columns.extend((right..widths.len()).map(Some));
    drawn.extend_from_slice(&widths[right..]);
    Layout {
        columns,
        widths: drawn,
    }
}

/// `text` cut to at most `width` display columns, ending in an ellipsis
/// when it was longer.
pub fn cut(text: &str, width: usize) -> std::borrow::Cow<'_, str> {
    if text.width() <= width {
        return std::borrow::Cow::Borrowed(text);
    }
    let room = width.saturating_sub(ELIDED_MARK.width());
    let mut used = 0;
    let mut out = String::new();
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push_str(ELIDED_MARK);
    std::borrow::Cow::Owned(out)
}

/// `number` (a decimal numeral as Arrow writes it) with its integer digits
/// grouped in threes; other text is returned as it is.
pub fn with_thousands(number: &str) -> std::borrow::Cow<'_, str> {
    let (sign, rest) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let (digits, fraction) = match rest.find('.') {
        Some(dot) => rest.split_at(dot),
        None => (rest, ""),
    };
    let numeral = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().skip(1).all(|b| b.is_ascii_digit());
    if !numeral || digits.len() <= 3 {
        return std::borrow::Cow::Borrowed(number);
    }
    let mut grouped = String::with_capacity(number.len() + digits.len() / 3);
    grouped.push_str(sign);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(d);
    }
    grouped.push_str(fraction);
    std::borrow::Cow::Owned(grouped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_that_fits_is_left_alone() {
        let layout = fit(&[5, 10], Some(80));
        assert_eq!(layout.columns, vec![Some(0), Some(1)]);
        assert_eq!(layout.widths, vec![5, 10]);
        assert_eq!(fit(&[500], None).widths, vec![500]);
    }

    #[test]
    fn long_values_are_cut_to_a_common_width() {
        let layout = fit(&[5, 100, 60], Some(80));
        assert_eq!(layout.shown_columns(), 3);
        assert!(drawn_width(layout.widths.iter().copied()) <= 80);
        assert_eq!(layout.widths[0], 5);
        assert_eq!(layout.widths[1], layout.widths[2]);
    }

    #[test]
    fn middle_columns_give_way_to_a_marker() {
        let layout = fit(&[10; 16], Some(80));
        assert!(drawn_width(layout.widths.iter().copied()) <= 80);
        let marker = layout.columns.iter().position(Option::is_none).unwrap();
        assert_eq!(layout.columns[0], Some(0));
        assert_eq!(layout.columns.last(), Some(&Some(15)));
        assert!(marker > 0 && marker < layout.columns.len() - 1);
        assert_eq!(layout.shown_columns(), 5);
        let layout = fit(&[30; 16], Some(80));
        assert_eq!(layout.widths[0], ELIDED_TABLE_CUT_WIDTH);
    }

    #[test]
    fn cutting_and_grouping_text() {
        assert_eq!(cut("abcdefgh", 5), "abcd…");
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(with_thousands("1234567"), "1,234,567");
        assert_eq!(with_thousands("-1234.5678"), "-1,234.5678");
        assert_eq!(with_thousands("999"), "999");
        assert_eq!(with_thousands("1e10"), "1e10");
        assert_eq!(with_thousands("NULL"), "NULL");
    }
}
