//! A throwaway PostgreSQL cluster started from the locally installed server binaries, in a
//! temp dir, listening only on a unix socket. Used by the test harness and by `--dev`.
