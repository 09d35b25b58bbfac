//! "Did you mean …?" suggestions by edit distance (`strsim`, the crate clap uses for the
//! same purpose).

/// The closest candidate to `input`, if it is close enough to be a plausible typo.
pub fn closest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let needle = input.to_lowercase();
    let limit = (needle.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (distance(&needle, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// Edit distance where swapping two neighbouring characters is one edit (`lenght` is one
/// from `length`), from `strsim`: optimal string alignment over characters.
pub fn distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

/// `; did you mean `x`?` or nothing.
pub fn did_you_mean<'a, I>(input: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(input, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_close_names_only() {
        let c = ["nullable", "default", "default_sql", "type"];
        assert_eq!(closest("nulable", c), Some("nullable"));
        assert_eq!(closest("defualt", c), Some("default"));
        assert_eq!(closest("colour", c), None);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(closest("lenght", ["height", "length"]), Some("length"));
    }
}
