//! The migration directory: building a chain, verifying it, and detecting every kind of
//! tampering.

use std::fs;
use std::path::{Path, PathBuf};

use schemactl::migrations::{
    Chain, Header, Layout, Link, NewMigration, Problem, ProblemKind, compute_link, genesis, load,
    parse_header, prepare, rehash, render_header, slug, snapshot_hash, validate_name, write_files,
};
use tempfile::TempDir;

const SNAP1: &str = "# snapshot 1\n[tables.users]\nid = \"int\"\n";
const SNAP2: &str = "# snapshot 2\n[tables.users]\nid = \"int\"\n[tables.dispatch]\nid = \"int\"\n";
const SNAP3: &str = "# snapshot 3\n[tables.users]\nid = \"int\"\nemail = \"text\"\n";

fn new<'a>(
    name: &'a str,
    up: &'a str,
    down: Option<&'a str>,
    snapshot: &'a str,
) -> NewMigration<'a> {
    NewMigration {
        name,
        hazards: Vec::new(),
        allowed: Vec::new(),
        up_body: up.into(),
        down_body: down.map(String::from),
        down_hazards: Vec::new(),
        snapshot: snapshot.into(),
    }
}

fn plan(layout: &Layout, m: &NewMigration) -> Chain {
    let chain = load(layout).unwrap_or_else(|p| panic!("load before plan: {p:#?}"));
    let files = prepare(layout, &chain, m.clone()).expect("prepare");
    write_files(&files).expect("write");
    load(layout).unwrap_or_else(|p| panic!("load after plan: {p:#?}"))
}

/// A project with three migrations; 0002 has a down file and hazards.
fn three() -> (TempDir, Layout, Chain) {
    let dir = TempDir::new().unwrap();
    let layout = Layout::new(dir.path());
    plan(
        &layout,
        &new(
            "create_users",
            "CREATE TABLE users (id int);\n",
            None,
            SNAP1,
        ),
    );
    plan(
        &layout,
        &NewMigration {
            hazards: vec![
                "deletes_data".into(),
                "blocks_writes".into(),
                "deletes_data".into(),
            ],
            allowed: vec!["deletes_data".into()],
            ..new(
                "add_dispatch",
                "CREATE TABLE dispatch (id int);\n",
                Some("DROP TABLE dispatch;\n"),
                SNAP2,
            )
        },
    );
    let chain = plan(
        &layout,
        &new(
            "add_email",
            "DROP TABLE dispatch;\nALTER TABLE users ADD COLUMN email text;\n",
            None,
            SNAP3,
        ),
    );
    (dir, layout, chain)
}

fn mig(layout: &Layout, file: &str) -> PathBuf {
    layout.migrations_dir.join(file)
}

fn problems(layout: &Layout) -> Vec<Problem> {
    match load(layout) {
        Ok(chain) => panic!(
            "expected problems, load succeeded with {} migrations",
            chain.migrations.len()
        ),
        Err(p) => p,
    }
}

/// Exactly one problem, of `kind`, whose message names `file`.
fn only(layout: &Layout, kind: ProblemKind, file: &str) -> Problem {
    let ps = problems(layout);
    assert_eq!(ps.len(), 1, "expected exactly one problem: {ps:#?}");
    let p = ps.into_iter().next().unwrap();
    assert_eq!(p.kind, kind, "{p:#?}");
    assert!(
        p.message.contains(file),
        "message should name {file}: {}",
        p.message
    );
    assert!(!p.hint.is_empty());
    p
}

fn has(ps: &[Problem], kind: ProblemKind, file: &str) -> bool {
    ps.iter()
        .any(|p| p.kind == kind && p.message.contains(file))
}

/// The link recomputed by hand from the byte layout in the spec.
fn manual_link(parent: &Link, stem: &str, up: &[u8], down: &[u8], snap: &Link) -> Link {
    let mut h = blake3::Hasher::new();
    h.update(&parent.0);
    for part in [stem.as_bytes(), up, down] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.update(&snap.0);
    Link(*h.finalize().as_bytes())
}

#[test]
fn three_migrations_load_and_links_match_a_recomputation() {
    let (_dir, layout, chain) = three();
    let stems: Vec<&str> = chain.migrations.iter().map(|m| m.stem.as_str()).collect();
    assert_eq!(
        stems,
        ["0001_create_users", "0002_add_dispatch", "0003_add_email"]
    );
    assert_eq!(chain.next_version(), 4);
    assert_eq!(
        genesis(),
        Link(*blake3::hash(b"schemactl-chain-v1").as_bytes())
    );

    let mut prev = genesis();
    let snaps = [SNAP1, SNAP2, SNAP3];
    for (i, m) in chain.migrations.iter().enumerate() {
        assert_eq!(m.version, i as u32 + 1);
        assert_eq!(m.parent, prev);
        let up = fs::read(layout.up_path(&m.stem)).unwrap();
        let down = fs::read(layout.down_path(&m.stem)).unwrap_or_default();
        let snap = Link(*blake3::hash(snaps[i].as_bytes()).as_bytes());
        assert_eq!(m.snapshot_hash, snap);
        let link = manual_link(&prev, &m.stem, &up, &down, &snap);
        assert_eq!(m.link, link, "link of {}", m.stem);
        assert_eq!(
            compute_link(&prev, &m.stem, &m.up, m.down.as_deref(), &snap),
            link
        );
        prev = link;
    }
    assert_eq!(chain.head, prev);
    assert_eq!(chain.snapshot.as_deref(), Some(SNAP3));
    assert!(chain.migrations[1].down.is_some());
    assert!(chain.migrations[0].down.is_none());

    let sum = fs::read_to_string(layout.sum_path()).unwrap();
    let m = &chain.migrations;
    let expected = format!(
        "head {}\n{} {} {}\n{} {} {}\n{} {} {}\n",
        chain.head,
        m[0].stem,
        m[0].link,
        m[0].snapshot_hash,
        m[1].stem,
        m[1].link,
        m[1].snapshot_hash,
        m[2].stem,
        m[2].link,
        m[2].snapshot_hash,
    );
    assert_eq!(sum, expected);
}

#[test]
fn migration_files_have_the_exact_header() {
    let (_dir, layout, chain) = three();
    let parent = chain.migrations[0].link;
    let up = fs::read_to_string(mig(&layout, "0002_add_dispatch.sql")).unwrap();
    assert_eq!(
        up,
        format!(
            "-- schemactl migration 0002_add_dispatch\n\
             -- parent: {parent}\n\
             -- hazards: blocks_writes, deletes_data\n\
             -- allowed: deletes_data\n\
             --\n\
             \n\
             CREATE TABLE dispatch (id int);\n"
        )
    );
    let down = fs::read_to_string(mig(&layout, "0002_add_dispatch.down.sql")).unwrap();
    assert_eq!(
        down,
        format!(
            "-- schemactl down migration 0002_add_dispatch\n\
             -- parent: {parent}\n\
             -- hazards: none\n\
             --\n\
             \n\
             DROP TABLE dispatch;\n"
        )
    );
    let first = fs::read_to_string(mig(&layout, "0001_create_users.sql")).unwrap();
    assert_eq!(
        first,
        format!(
            "-- schemactl migration 0001_create_users\n\
             -- parent: {}\n\
             -- hazards: none\n\
             --\n\
             \n\
             CREATE TABLE users (id int);\n",
            genesis()
        )
    );
}

#[test]
fn empty_directory_is_an_empty_chain() {
    let dir = TempDir::new().unwrap();
    let layout = Layout::new(dir.path());
    let chain = load(&layout).unwrap();
    assert!(chain.migrations.is_empty());
    assert_eq!(chain.head, genesis());
    assert_eq!(chain.next_version(), 1);
    assert_eq!(chain.snapshot, None);

    // An empty sum file in the canonical form is fine too.
    fs::create_dir_all(&layout.migrations_dir).unwrap();
    fs::write(layout.sum_path(), format!("head {}\n", genesis())).unwrap();
    assert_eq!(load(&layout).unwrap().head, genesis());
}

#[test]
fn edited_file_one_byte() {
    let (_dir, layout, _) = three();
    let path = mig(&layout, "0001_create_users.sql");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("id int", "id Int")).unwrap();
    let p = only(
        &layout,
        ProblemKind::Edited,
        "migrations/0001_create_users.sql",
    );
    assert_eq!(p.path, path);
    assert!(p.message.contains("edited after it was planned"));
    assert!(p.hint.contains("schemactl hash"));
}

#[test]
fn edited_down_file_only() {
    let (_dir, layout, _) = three();
    let path = mig(&layout, "0002_add_dispatch.down.sql");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("DROP TABLE", "DROP TABLE IF EXISTS")).unwrap();
    let p = only(&layout, ProblemKind::Edited, "0002_add_dispatch.down.sql");
    assert!(p.message.contains("0002_add_dispatch.sql"));
}

#[test]
fn down_file_added_after_planning() {
    let (_dir, layout, _) = three();
    let path = mig(&layout, "0003_add_email.down.sql");
    fs::write(&path, "ALTER TABLE users DROP COLUMN email;\n").unwrap();
    let p = only(
        &layout,
        ProblemKind::Edited,
        "migrations/0003_add_email.down.sql",
    );
    assert_eq!(p.path, path);
    assert!(p.message.contains("was added"));
}

#[test]
fn deleted_file_is_missing() {
    let (_dir, layout, _) = three();
    fs::remove_file(mig(&layout, "0003_add_email.sql")).unwrap();
    let p = only(
        &layout,
        ProblemKind::Missing,
        "migrations/0003_add_email.sql",
    );
    assert!(p.hint.contains("git checkout"));
}

#[test]
fn deleted_middle_file_and_its_down_is_missing() {
    let (_dir, layout, _) = three();
    fs::remove_file(mig(&layout, "0002_add_dispatch.sql")).unwrap();
    fs::remove_file(mig(&layout, "0002_add_dispatch.down.sql")).unwrap();
    only(&layout, ProblemKind::Missing, "0002_add_dispatch.sql");
}

#[test]
fn inserted_file_between_0001_and_0002() {
    let (_dir, layout, _) = three();
    fs::write(
        mig(&layout, "0001_b.sql"),
        "CREATE INDEX users_id ON users (id);\n",
    )
    .unwrap();
    let p = only(&layout, ProblemKind::Inserted, "migrations/0001_b.sql");
    assert!(p.message.contains("0001_create_users.sql"));
}

#[test]
fn renamed_file() {
    let (_dir, layout, _) = three();
    fs::rename(
        mig(&layout, "0003_add_email.sql"),
        mig(&layout, "0003_add_email_column.sql"),
    )
    .unwrap();
    let p = only(&layout, ProblemKind::Renamed, "0003_add_email.sql");
    assert!(p.message.contains("0003_add_email_column.sql"));
    assert_eq!(p.path, mig(&layout, "0003_add_email_column.sql"));
}

#[test]
fn renamed_file_with_its_down_file() {
    let (_dir, layout, _) = three();
    for ext in ["sql", "down.sql"] {
        fs::rename(
            mig(&layout, &format!("0002_add_dispatch.{ext}")),
            mig(&layout, &format!("0002_dispatch.{ext}")),
        )
        .unwrap();
    }
    let p = only(&layout, ProblemKind::Renamed, "0002_add_dispatch.sql");
    assert!(p.message.contains("0002_dispatch.sql"));
}

type Files = Vec<(PathBuf, String)>;

/// Two branches each plan a 0004 on top of the same 0003. Returns the prepared file sets.
fn two_branches(layout: &Layout, chain: &Chain) -> (Files, Files) {
    let a = prepare(
        layout,
        chain,
        new("a", "CREATE TABLE a (id int);\n", None, "# snapshot a\n"),
    )
    .unwrap();
    let b = prepare(
        layout,
        chain,
        new("b", "CREATE TABLE b (id int);\n", None, "# snapshot b\n"),
    )
    .unwrap();
    (a, b)
}

fn content<'a>(files: &'a [(PathBuf, String)], path: &Path) -> &'a str {
    &files.iter().find(|(p, _)| p == path).unwrap().1
}

#[test]
fn parallel_branches_sum_with_conflict_markers() {
    let (_dir, layout, chain) = three();
    let (a, b) = two_branches(&layout, &chain);
    write_files(&a[..1]).unwrap();
    write_files(&b[..1]).unwrap();
    // What git leaves after merging both branches' sum files.
    let sum_a = content(&a, &layout.sum_path());
    let sum_b = content(&b, &layout.sum_path());
    let a_lines: Vec<&str> = sum_a.lines().collect();
    let b_lines: Vec<&str> = sum_b.lines().collect();
    let conflicted = format!(
        "<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> branch-b\n{}\n{}\n{}\n<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> branch-b\n",
        a_lines[0], b_lines[0], a_lines[1], a_lines[2], a_lines[3], a_lines[4], b_lines[4]
    );
    fs::write(layout.sum_path(), conflicted).unwrap();
    let ps = problems(&layout);
    assert_eq!(ps.len(), 2, "{ps:#?}");
    let conflict = ps
        .iter()
        .find(|p| p.kind == ProblemKind::SumConflict)
        .unwrap();
    assert!(conflict.message.contains("migrations/schemactl.sum"));
    assert!(conflict.message.contains("merge conflict markers"));
    assert!(
        conflict.hint.contains("schemactl plan -m"),
        "{}",
        conflict.hint
    );
    assert_eq!(conflict.line, Some(1));
    assert!(has(
        &ps,
        ProblemKind::DuplicateVersion,
        "0004_a.sql, 0004_b.sql"
    ));
}

#[test]
fn parallel_branches_sum_has_one_of_them() {
    let (_dir, layout, chain) = three();
    let (a, b) = two_branches(&layout, &chain);
    write_files(&a).unwrap();
    write_files(&b[..1]).unwrap();
    let p = only(&layout, ProblemKind::DuplicateVersion, "0004_b.sql");
    assert!(
        p.message
            .contains("two migrations numbered 0004 (0004_a.sql, 0004_b.sql)")
    );
    assert!(p.message.contains("parallel branches"));
    assert!(p.hint.contains("schemactl plan -m"), "{}", p.hint);
    assert_eq!(p.path, mig(&layout, "0004_b.sql"));
}

#[test]
fn parallel_branch_behind_the_recorded_tip_is_still_a_duplicate() {
    // Branch a added 0004_a and 0005_a (recorded); branch b added only 0004_b.
    let (_dir, layout, chain) = three();
    let (a, b) = two_branches(&layout, &chain);
    write_files(&a).unwrap();
    write_files(&b[..1]).unwrap();
    let chain_a = {
        fs::rename(
            mig(&layout, "0004_b.sql"),
            layout.migrations_dir.join(".hold"),
        )
        .unwrap();
        let c = plan(&layout, &new("a2", "SELECT 1;\n", None, "# snapshot a2\n"));
        fs::rename(
            layout.migrations_dir.join(".hold"),
            mig(&layout, "0004_b.sql"),
        )
        .unwrap();
        c
    };
    assert_eq!(chain_a.migrations.len(), 5);
    let p = only(&layout, ProblemKind::DuplicateVersion, "0004_b.sql");
    assert!(p.message.contains("0004_a.sql"));
}

#[test]
fn parallel_branch_with_two_migrations() {
    // The sum has branch a's 0004; branch b brings 0004_b and 0005_b2.
    let (_dir, layout, chain) = three();
    let (a, b) = two_branches(&layout, &chain);
    write_files(&b[..1]).unwrap();
    fs::write(mig(&layout, "0005_b2.sql"), "SELECT 2;\n").unwrap();
    write_files(&a).unwrap();
    let ps = problems(&layout);
    assert_eq!(ps.len(), 2, "{ps:#?}");
    assert!(has(&ps, ProblemKind::DuplicateVersion, "0004_b.sql"));
    let later = ps
        .iter()
        .find(|p| p.kind == ProblemKind::SumOutOfDate)
        .unwrap();
    assert!(later.message.contains("0005_b2.sql"));
    assert!(later.hint.contains("schemactl plan -m"), "{}", later.hint);
}

#[test]
fn hand_edited_snapshot() {
    let (_dir, layout, _) = three();
    let path = layout.snapshot_path();
    fs::write(&path, SNAP3.replace("text", "varchar")).unwrap();
    let p = only(&layout, ProblemKind::SnapshotEdited, "snapshots/head.toml");
    assert!(p.message.contains("edited by hand"));
}

#[test]
fn missing_snapshot() {
    let (_dir, layout, _) = three();
    fs::remove_file(layout.snapshot_path()).unwrap();
    only(&layout, ProblemKind::SnapshotMissing, "snapshots/head.toml");
}

#[test]
fn stale_head_line() {
    let (_dir, layout, chain) = three();
    let sum = fs::read_to_string(layout.sum_path()).unwrap();
    let stale = sum.replacen(
        &format!("head {}", chain.head),
        &format!("head {}", chain.migrations[1].link),
        1,
    );
    assert_ne!(sum, stale);
    fs::write(layout.sum_path(), stale).unwrap();
    let p = only(
        &layout,
        ProblemKind::SumOutOfDate,
        "migrations/schemactl.sum",
    );
    assert_eq!(p.line, Some(1));
    assert!(p.message.contains("head line"));
}

#[test]
fn missing_sum_file() {
    let (_dir, layout, _) = three();
    fs::remove_file(layout.sum_path()).unwrap();
    let p = only(&layout, ProblemKind::SumMissing, "migrations/schemactl.sum");
    assert!(p.message.contains("3 migration"));
}

#[test]
fn new_unrecorded_last_file() {
    let (_dir, layout, _) = three();
    fs::write(mig(&layout, "0004_by_hand.sql"), "SELECT 1;\n").unwrap();
    let p = only(
        &layout,
        ProblemKind::SumOutOfDate,
        "migrations/0004_by_hand.sql",
    );
    assert!(p.message.contains("is not in the sum file"));
    assert!(p.hint.contains("schemactl hash"));
}

#[test]
fn sum_syntax_error_has_a_line_number() {
    let (_dir, layout, _) = three();
    let sum = fs::read_to_string(layout.sum_path()).unwrap();
    let mut lines: Vec<String> = sum.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen(' ', "  ", 1);
    fs::write(layout.sum_path(), lines.join("\n") + "\n").unwrap();
    let p = only(&layout, ProblemKind::SumSyntax, "migrations/schemactl.sum");
    assert_eq!(p.line, Some(3));

    // Out of sequence entries and a missing final newline are syntax errors too.
    let mut lines: Vec<String> = sum.lines().map(str::to_string).collect();
    lines.swap(1, 2);
    fs::write(layout.sum_path(), lines.join("\n")).unwrap();
    let ps = problems(&layout);
    assert!(
        ps.iter().all(|p| p.kind == ProblemKind::SumSyntax),
        "{ps:#?}"
    );
    let lines_reported: Vec<Option<usize>> = ps.iter().map(|p| p.line).collect();
    assert_eq!(lines_reported, [Some(2), Some(3), Some(4)]);
}

#[test]
fn bad_file_names_are_reported_and_hidden_files_ignored() {
    let (_dir, layout, _) = three();
    fs::write(mig(&layout, "notes.txt"), "x").unwrap();
    fs::write(mig(&layout, "5_short.sql"), "x").unwrap();
    fs::write(mig(&layout, "0006_Upper.sql"), "x").unwrap();
    fs::write(mig(&layout, ".DS_Store"), "x").unwrap();
    fs::create_dir(mig(&layout, ".git-stuff")).unwrap();
    let ps = problems(&layout);
    let files: Vec<String> = ps
        .iter()
        .map(|p| p.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["0006_Upper.sql", "5_short.sql", "notes.txt"]);
    assert!(ps.iter().all(|p| p.kind == ProblemKind::BadFileName));
    assert!(has(&ps, ProblemKind::BadFileName, "migrations/notes.txt"));
}

#[test]
fn all_problems_at_once_in_a_stable_order() {
    let (_dir, layout, _) = three();
    fs::write(mig(&layout, "0001_create_users.sql"), "tampered\n").unwrap();
    fs::remove_file(mig(&layout, "0003_add_email.sql")).unwrap();
    fs::write(layout.snapshot_path(), "tampered\n").unwrap();
    let ps = problems(&layout);
    let kinds: Vec<ProblemKind> = ps.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            ProblemKind::Edited,
            ProblemKind::Missing,
            ProblemKind::SnapshotEdited
        ]
    );
    assert_eq!(problems(&layout), ps);
}

#[test]
fn bom_alone_is_dropped_like_with_crlf() {
    let (_dir, layout, chain) = three();
    for path in [
        mig(&layout, "0002_add_dispatch.sql"),
        mig(&layout, "0002_add_dispatch.down.sql"),
        layout.snapshot_path(),
    ] {
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, format!("\u{feff}{text}")).unwrap();
    }
    let again = load(&layout).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(again, chain);
    assert_eq!(snapshot_hash("a\nb\n"), snapshot_hash("\u{feff}a\nb\n"));
}

#[test]
fn crlf_and_bom_hash_like_lf() {
    let (_dir, layout, chain) = three();
    for file in ["0002_add_dispatch.sql", "0002_add_dispatch.down.sql"] {
        let path = mig(&layout, file);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, format!("\u{feff}{}", text.replace('\n', "\r\n"))).unwrap();
    }
    let snap = fs::read_to_string(layout.snapshot_path()).unwrap();
    fs::write(
        layout.snapshot_path(),
        format!("\u{feff}{}", snap.replace('\n', "\r\n")),
    )
    .unwrap();
    let again = load(&layout).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(again, chain);
    assert_eq!(snapshot_hash("a\r\nb\r\n"), snapshot_hash("\u{feff}a\nb\n"));
    assert_ne!(snapshot_hash("a\nb\n"), snapshot_hash("a\nb"));
}

#[test]
fn prepare_is_deterministic_and_has_no_machine_paths() {
    let (dir, layout, chain) = three();
    let m = NewMigration {
        hazards: vec!["rewrites_table".into(), "blocks_writes".into()],
        ..new(
            "add_index",
            "CREATE INDEX ON users (email);",
            Some("DROP INDEX users_email_idx;"),
            SNAP3,
        )
    };
    let first = prepare(&layout, &chain, m.clone()).unwrap();
    let second = prepare(&layout, &load(&layout).unwrap(), m).unwrap();
    assert_eq!(first, second);
    let paths: Vec<&Path> = first.iter().map(|(p, _)| p.as_path()).collect();
    assert_eq!(
        paths,
        [
            mig(&layout, "0004_add_index.sql").as_path(),
            mig(&layout, "0004_add_index.down.sql").as_path(),
            layout.snapshot_path().as_path(),
            layout.sum_path().as_path(),
        ]
    );
    let root = dir.path().to_string_lossy().into_owned();
    for (_, text) in &first {
        assert!(!text.contains(&root));
        assert!(text.ends_with('\n'));
    }

    write_files(&first).unwrap();
    let after = load(&layout).unwrap();
    assert_eq!(after.migrations.len(), 4);
    // No temporary files are left behind.
    let names: Vec<String> = fs::read_dir(&layout.migrations_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn prepare_rejects_bad_names() {
    let (_dir, layout, chain) = three();
    let err = prepare(
        &layout,
        &chain,
        new("Add Index!", "SELECT 1;\n", None, SNAP3),
    )
    .unwrap_err();
    assert_eq!(err.kind, ProblemKind::InvalidInput);
    assert!(err.message.contains("add_index"), "{}", err.message);
    assert!(err.hint.contains("add_index"));
}

#[test]
fn header_round_trips() {
    let (_dir, layout, chain) = three();
    let text = fs::read_to_string(mig(&layout, "0002_add_dispatch.sql")).unwrap();
    let h = parse_header(&text).unwrap();
    assert_eq!(
        h,
        Header {
            stem: "0002_add_dispatch".into(),
            down: false,
            parent: Some(chain.migrations[0].link),
            hazards: vec!["blocks_writes".into(), "deletes_data".into()],
            allowed: vec!["deletes_data".into()],
            segments: None,
        }
    );
    assert_eq!(
        render_header(&h),
        text.split_at(text.find("CREATE").unwrap()).0
    );

    let down =
        parse_header(&fs::read_to_string(mig(&layout, "0002_add_dispatch.down.sql")).unwrap())
            .unwrap();
    assert!(down.down);
    assert_eq!(down.stem, "0002_add_dispatch");

    let first =
        parse_header(&fs::read_to_string(mig(&layout, "0001_create_users.sql")).unwrap()).unwrap();
    assert!(first.hazards.is_empty() && first.allowed.is_empty());
    assert_eq!(first.parent, Some(genesis()));
    assert_eq!(parse_header(&render_header(&first)).unwrap(), first);

    // CRLF + BOM header parses the same.
    let crlf = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    assert_eq!(parse_header(&crlf).unwrap(), h);
    // A hand-written file has no header.
    assert!(parse_header("CREATE TABLE t ();\n").is_err());
}

#[test]
fn names_and_slugs() {
    assert!(validate_name("add_dispatch").is_ok());
    assert!(validate_name("0_x9").is_ok());
    assert!(validate_name(&"a".repeat(64)).is_ok());
    assert!(validate_name(&"a".repeat(65)).is_err());
    assert!(validate_name("").is_err());
    let err = validate_name("Add-Dispatch").unwrap_err();
    assert!(err.contains("add_dispatch"), "{err}");
    assert_eq!(slug("  Add Dispatch -- Table! "), "add_dispatch_table");
    assert_eq!(slug("Café"), "caf");
    assert_eq!(slug("!!!"), "migration");
    assert_eq!(slug(&"ab ".repeat(40)).len(), 64);
    assert!(validate_name(&slug(&"ab ".repeat(40))).is_ok());
}

#[test]
fn link_hex_round_trips() {
    let l = snapshot_hash("x");
    let hex = l.to_string();
    assert_eq!(hex.len(), 64);
    assert_eq!(hex, hex.to_lowercase());
    assert_eq!(hex.parse::<Link>().unwrap(), l);
    assert!("xyz".parse::<Link>().is_err());
    assert!("g".repeat(64).parse::<Link>().is_err());
}

#[test]
fn problem_kind_ids_are_kebab_case() {
    assert_eq!(ProblemKind::DuplicateVersion.id(), "duplicate-version");
    assert_eq!(ProblemKind::SumOutOfDate.id(), "sum-out-of-date");
    assert_eq!(ProblemKind::Edited.id(), "edited");
    assert_eq!(ProblemKind::SnapshotEdited.id(), "snapshot-edited");
}

#[test]
fn rehash_accepts_a_deliberate_edit() {
    let (_dir, layout, before) = three();
    let path = mig(&layout, "0002_add_dispatch.sql");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("(id int)", "(id bigint)")).unwrap();
    assert_eq!(problems(&layout)[0].kind, ProblemKind::Edited);
    let files = rehash(&layout).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].0, layout.sum_path());
    write_files(&files).unwrap();
    let after = load(&layout).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(after.migrations[0], before.migrations[0]);
    assert_ne!(after.migrations[1].link, before.migrations[1].link);
    for (a, b) in after.migrations.iter().zip(&before.migrations) {
        assert_eq!(a.snapshot_hash, b.snapshot_hash);
    }
    // Rehashing a consistent directory changes nothing.
    let sum = fs::read_to_string(layout.sum_path()).unwrap();
    assert_eq!(rehash(&layout).unwrap()[0].1, sum);
}

#[test]
fn rehash_records_a_hand_written_tip_and_rebuilds_a_missing_sum() {
    let (_dir, layout, _) = three();
    fs::write(mig(&layout, "0004_by_hand.sql"), "SELECT 1;\n").unwrap();
    write_files(&rehash(&layout).unwrap()).unwrap();
    let chain = load(&layout).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(chain.migrations.len(), 4);
    assert_eq!(chain.migrations[3].snapshot_hash, snapshot_hash(SNAP3));
    assert_eq!(chain.next_version(), 5);

    fs::remove_file(layout.sum_path()).unwrap();
    write_files(&rehash(&layout).unwrap()).unwrap();
    let rebuilt = load(&layout).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(rebuilt.migrations.len(), 4);
    assert!(
        rebuilt
            .migrations
            .iter()
            .all(|m| m.snapshot_hash == snapshot_hash(SNAP3))
    );
}

#[test]
fn rehash_refuses_duplicates_and_gaps() {
    let (_dir, layout, chain) = three();
    let (a, b) = two_branches(&layout, &chain);
    write_files(&a).unwrap();
    write_files(&b[..1]).unwrap();
    let ps = rehash(&layout).unwrap_err();
    assert_eq!(ps.len(), 1, "{ps:#?}");
    assert_eq!(ps[0].kind, ProblemKind::DuplicateVersion);
    assert!(ps[0].message.contains("0004_a.sql, 0004_b.sql"));

    fs::remove_file(mig(&layout, "0004_b.sql")).unwrap();
    fs::remove_file(mig(&layout, "0002_add_dispatch.sql")).unwrap();
    let ps = rehash(&layout).unwrap_err();
    assert!(has(&ps, ProblemKind::Missing, "0002"), "{ps:#?}");
    assert!(has(
        &ps,
        ProblemKind::BadFileName,
        "0002_add_dispatch.down.sql"
    ));
}

#[test]
fn orphan_down_file_is_reported() {
    let (_dir, layout, _) = three();
    fs::write(mig(&layout, "0004_x.down.sql"), "SELECT 1;\n").unwrap();
    only(
        &layout,
        ProblemKind::BadFileName,
        "migrations/0004_x.down.sql",
    );
}
