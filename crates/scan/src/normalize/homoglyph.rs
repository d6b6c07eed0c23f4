//! Homoglyph folding: Cyrillic and Greek letters that look like Latin ones
//! are mapped to the Latin letter inside words that are (or could be)
//! Latin, so `Ign\u{43e}re` reads as `Ignore`.
//!
//! Invariants: a word made of Cyrillic or Greek letters that are not all
//! look-alikes (ordinary Russian or Greek text) is left unchanged; the pass
//! is linear and returns the input unchanged (borrowed) when it has no
//! look-alike letters.

use std::borrow::Cow;

/// The Latin letter a Cyrillic or Greek look-alike stands for.
pub(crate) fn fold_char(c: char) -> Option<char> {
    Some(match c {
        // Cyrillic lower case
        'а' => 'a',
        'в' => 'b',
        'е' => 'e',
        'ё' => 'e',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'у' => 'y',
        'х' => 'x',
        'ѕ' => 's',
        'і' => 'i',
        'ї' => 'i',
        'ј' => 'j',
        'ԁ' => 'd',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'һ' => 'h',
        'ɡ' => 'g',
        'ո' => 'n',
        'ս' => 'u',
        // Cyrillic upper case
        'А' => 'A',
        'В' => 'B',
        'Е' => 'E',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'У' => 'Y',
        'Х' => 'X',
        'Ѕ' => 'S',
        'І' => 'I',
        'Ј' => 'J',
        'Ԁ' => 'D',
        'Ԛ' => 'Q',
        'Ԝ' => 'W',
        // Greek lower case
        'α' => 'a',
        'ο' => 'o',
        'ν' => 'v',
        'ρ' => 'p',
        'υ' => 'u',
        'ι' => 'i',
        'κ' => 'k',
        'τ' => 't',
        'χ' => 'x',
        'ϲ' => 'c',
        'ϳ' => 'j',
        // Greek upper case
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        'Ϲ' => 'C',
        _ => return None,
    })
}

/// Folds look-alike letters in every word that mixes them with Latin
/// letters or consists only of look-alikes.
pub(crate) fn fold(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || !text.chars().any(|c| fold_char(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut word_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_alphabetic() {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = word_start.take() {
            push_word(&mut out, text.get(start..i).unwrap_or(""));
        }
        out.push(c);
    }
    if let Some(start) = word_start {
        push_word(&mut out, text.get(start..).unwrap_or(""));
    }
    Cow::Owned(out)
}

fn push_word(out: &mut String, word: &str) {
    let foldable = word
        .chars()
        .all(|c| c.is_ascii_alphabetic() || fold_char(c).is_some());
    if foldable {
        out.extend(word.chars().map(|c| fold_char(c).unwrap_or(c)));
    } else {
        out.push_str(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_mixed_and_lookalike_only_words() {
        assert_eq!(fold("Μеetіng notеs: aррrоvеd"), "Meeting notes: approved");
        assert_eq!(fold("Ignоrе"), "Ignore");
    }

    #[test]
    fn leaves_real_cyrillic_and_greek_alone() {
        assert_eq!(fold("Привет мир"), "Привет мир");
        assert_eq!(fold("Αθήνα"), "Αθήνα");
        assert!(matches!(fold("plain ascii"), Cow::Borrowed(_)));
    }
}
