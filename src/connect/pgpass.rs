//! libpq's password file (`~/.pgpass`, `PGPASSFILE`, `passfile=`): lines of
//! `hostname:port:database:username:password`, `*` matching anything, `\:` and `\\` escaping,
//! `#` comments; the first matching line wins. A unix-socket connection to the default socket
//! directory matches `localhost`, as in libpq. On Unix a file readable by group or others is
//! ignored, as libpq does (it warns; a wrong password is the visible result either way).
//!
//! Written here rather than taken from a crate: the format is a dozen lines, and the crates
//! that read it are parts of larger products (proxies, nom-based secret managers).

use std::path::Path;

/// libpq's default socket directory on Debian-family systems (where `localhost` also
/// matches a socket connection).
const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// The password for this connection from the file at `path`, if any line matches.
pub fn lookup(path: &Path, host: &str, port: &str, dbname: &str, user: &str) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || too_open(&meta) {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    find(&text, host, port, dbname, user)
}

#[cfg(unix)]
fn too_open(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o077 != 0
}

#[cfg(not(unix))]
fn too_open(_: &std::fs::Metadata) -> bool {
    false
}

/// The first line of `text` matching the connection.
pub fn find(text: &str, host: &str, port: &str, dbname: &str, user: &str) -> Option<String> {
    let hosts: &[&str] = if host.starts_with('/') {
        if host.trim_end_matches('/') == DEFAULT_SOCKET_DIR {
            &[host, "localhost"]
        } else {
            &[host]
        }
    } else {
        &[host]
    };
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(fields) = split(line) else { continue };
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        if hosts.iter().any(|h| matches(&fields[0], h))
            && matches(&fields[1], port)
            && matches(&fields[2], dbname)
            && matches(&fields[3], user)
        {
            return Some(fields[4].clone());
        }
    }
    None
}

/// The five fields of a line (the password may contain unescaped colons, as in libpq);
/// `None` for a line with fewer.
fn split(line: &str) -> Option<[String; 5]> {
    let mut fields: Vec<String> = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut()?.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => fields.last_mut()?.push(c),
        }
    }
    fields.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_line_wins_with_wildcards_and_escapes() {
        let text = "# comment\n\
                    db.example.com:5432:app:alice:first\n\
                    *:*:app:alice:second\n\
                    *:*:*:bob:pa\\:ss:word\n\
                    short:line\n";
        let f = |h, p, d, u| find(text, h, p, d, u);
        assert_eq!(
            f("db.example.com", "5432", "app", "alice").as_deref(),
            Some("first")
        );
        assert_eq!(
            f("other", "6543", "app", "alice").as_deref(),
            Some("second")
        );
        assert_eq!(f("x", "1", "any", "bob").as_deref(), Some("pa:ss:word"));
        assert_eq!(f("x", "1", "other", "alice"), None);
    }

    #[test]
    fn the_default_socket_dir_matches_localhost() {
        let text = "localhost:5432:app:alice:local\n";
        assert_eq!(
            find(text, "/var/run/postgresql", "5432", "app", "alice").as_deref(),
            Some("local")
        );
        assert_eq!(find(text, "/tmp/other", "5432", "app", "alice"), None);
        assert_eq!(
            find(
                "/tmp/other:5432:app:alice:sock\n",
                "/tmp/other",
                "5432",
                "app",
                "alice"
            )
            .as_deref(),
            Some("sock")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_ignored() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(&path, "*:*:*:*:secret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(lookup(&path, "h", "1", "d", "u").as_deref(), Some("secret"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(lookup(&path, "h", "1", "d", "u"), None);
        assert_eq!(
            lookup(&dir.path().join("missing"), "h", "1", "d", "u"),
            None
        );
    }
}
