import HACore

/// A probe that could not read the node's status, with the raw cause: HACore's ``SQLError``.
///
/// `description` is the one-line health reason: `connect: <mysql error> (errno N)`,
/// `query: <mysql error> (errno N)`, or `password: <secret file problem>` (a probe never sees the
/// `.timeout` and `.decode` stages: its deadline is its own, and `SHOW` rows are read as text). It
/// never contains the password.
public typealias GaleraError = SQLError
