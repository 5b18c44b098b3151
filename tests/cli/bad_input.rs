//! Commands that must fail: one table of cases, each run by [`check`] in a
//! fresh copy of the same workspace. Every case checks the exit status, that
//! stderr is one line naming the value at fault, that no secret reaches
//! stderr, and that the workspace file is byte-for-byte unchanged.

use std::sync::OnceLock;

use hopscope_e2e::{sha256_file, Env, Snapshot, PASSPHRASE, WORKSPACE_FILE};

/// A passphrase that is not the workspace's.
const WRONG_PASSPHRASE: &str = "heron-basalt-9082 wrong";

/// What `HOPSCOPE_PASSPHRASE_FILE` is for a case.
#[derive(Clone, Copy)]
enum Passphrase {
    /// The file with the workspace passphrase.
    Right,
    /// A file with another passphrase.
    Wrong,
    /// A path where no file exists.
    MissingFile,
    /// Not set; stdin is not a terminal, so there is no prompt either.
    Unset,
}

struct Case {
    args: &'static [&'static str],
    passphrase: Passphrase,
    /// The workspace file, in the test directory.
    workspace: &'static str,
    /// 1 for a failure, 2 for a usage error.
    exit: i32,
    /// Substrings the error must contain: the value at fault and the problem.
    message: &'static [&'static str],
}

const DEFAULT: Case = Case {
    args: &[],
    passphrase: Passphrase::Right,
    workspace: WORKSPACE_FILE,
    exit: 1,
    message: &[],
};

/// The workspace and input files every case starts from. The workspace contains
/// `root`, `inter`, the public endpoint `leaf`, `revoked-leaf` (revoked) and
/// `keyless-ca`, a CA certificate made by openssl and imported without its
/// key.
fn fixture() -> &'static Snapshot {
    static FIXTURE: OnceLock<Snapshot> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let env = Env::with_authorities();
        env.issue("leaf", "public-endpoint", "https://leaf.test/fhir");
        env.issue("revoked-leaf", "public-endpoint", "https://revoked.test/fhir");
        env.ok(&["cert", "revoke", "revoked-leaf", "--reason", "superseded"]);

        let ec_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc"];
        let ca_extensions = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"];
        let keyless = [&["req", "-x509"][..], &ec_key, &ca_extensions, &["-keyout", "keyless-key.pem", "-out", "keyless-ca.pem", "-subj", "/CN=keyless-ca"]];
        env.openssl_ok(&keyless.concat());
        env.ok(&["import", "keyless-ca.pem", "--name", "keyless-ca"]);
        std::fs::remove_file(env.path("keyless-key.pem")).expect("cannot remove keyless-key.pem");

        env.write("wrong-passphrase", format!("{WRONG_PASSPHRASE}\n"));
        env.write("export-password", "export password\n");
        env.write("empty-password", "\n");

        // Input files that are damaged in one way each.
        env.ok(&["authority", "export", "root", "--out", "root.pem"]);
        env.ok(&["authority", "export", "root", "--format", "der", "--out", "root.der"]);
        env.write("malformed.pem", "-----BEGIN CERTIFICATE-----\nthis is not base64!\n-----END CERTIFICATE-----\n");
        let root_pem = env.read_text("root.pem");
        let first_lines: Vec<&str> = root_pem.lines().take(4).collect();
        env.write("truncated.pem", first_lines.join("\n") + "\n");
        env.write("truncated.der", &env.read("root.der")[..200]);
        let garbage: Vec<u8> = (0u32..512).map(|i| (i * 37 + 11) as u8).collect();
        env.write("garbage.bin", garbage);

        // A certificate with the key of another pair, in one PEM.
        env.openssl_ok(&[&["req", "-x509"][..], &ec_key, &["-keyout", "cert-key.pem", "-out", "cert.pem", "-subj", "/CN=mismatch-cert"]].concat());
        env.openssl_ok(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other-key.pem"]);
        env.write("mismatch.pem", [env.read("cert.pem"), env.read("other-key.pem")].concat());

        // A PKCS#12 file and an encrypted PKCS#8 key, both protected by
        // p12-password.
        env.write("p12-password", "p12 password\n");
        env.openssl_ok(&["pkcs12", "-export", "-in", "cert.pem", "-inkey", "cert-key.pem", "-out", "other.p12", "-passout", "file:p12-password"]);
        env.openssl_ok(&["pkcs8", "-topk8", "-in", "other-key.pem", "-out", "encrypted-key.pem", "-v2", "aes-256-cbc", "-passout", "file:p12-password"]);
        env.openssl_ok(&["req", "-new", "-key", "other-key.pem", "-out", "request.csr", "-subj", "/CN=request"]);

        // Workspace files that are not workspaces.
        env.write("not-a-workspace.db", "this text file is not an SQLite database\n");
        env.write("empty.db", "");
        env.snapshot()
    })
}

/// Runs one case in a fresh copy of the fixture and checks every condition.
fn check(case: &Case) {
    let env = fixture().restore();
    let workspace = env.path(case.workspace);
    let before = sha256_file(&workspace);

    let mut command = env.command(case.args);
    command.env("HOPSCOPE_WORKSPACE", &workspace);
    match case.passphrase {
        Passphrase::Right => {}
        Passphrase::Wrong => {
            command.env("HOPSCOPE_PASSPHRASE_FILE", env.path("wrong-passphrase"));
        }
        Passphrase::MissingFile => {
            command.env("HOPSCOPE_PASSPHRASE_FILE", env.path("no-such-passphrase-file"));
        }
        Passphrase::Unset => {
            command.env_remove("HOPSCOPE_PASSPHRASE_FILE");
        }
    }
    let outcome = hopscope_e2e::run(command);

    assert_eq!(outcome.code(), Some(case.exit), "expected exit status {}\n{outcome}", case.exit);
    // The error line is looked up rather than taken first, so a stray line
    // fails only the line count and the message checks still run.
    let prefix = if case.exit == 1 { "hopscope: error: " } else { "error: " };
    let error_line = outcome.stderr.lines().find(|line| line.starts_with(prefix));
    assert!(error_line.is_some(), "expected a line on stderr starting with `{prefix}`\n{outcome}");
    // Usage errors come from clap, which prints the usage and a hint after
    // the error line, so the one-line rule applies to exit status 1 only.
    if case.exit == 1 {
        assert_eq!(outcome.stderr.lines().count(), 1, "expected exactly one line on stderr\n{outcome}");
    }
    let error_line = error_line.unwrap_or_default();
    for part in case.message {
        assert!(error_line.contains(part), "expected the error to contain {part:?}\n{outcome}");
    }
    assert!(!outcome.stderr.contains(PASSPHRASE), "the workspace passphrase must not reach stderr\n{outcome}");
    assert!(!outcome.stderr.contains(WRONG_PASSPHRASE), "a passphrase given must not reach stderr\n{outcome}");
    assert!(!outcome.stderr.contains("PRIVATE KEY"), "no key material may reach stderr\n{outcome}");
    assert_eq!(sha256_file(&workspace), before, "the failed command must leave {} unchanged\n{outcome}", case.workspace);
}

macro_rules! bad_input_table {
    ($($name:ident: $case:expr,)*) => {
        $(
            #[test]
            fn $name() {
                check(&$case);
            }
        )*
    };
}

bad_input_table! {
    // The passphrase.
    issue_wrong_passphrase: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "inter", "--url", "https://new.test/"],
        passphrase: Passphrase::Wrong,
        message: &["wrong passphrase for workspace", "ws.db"],
        ..DEFAULT
    },
    rotate_wrong_passphrase: Case {
        args: &["cert", "rotate", "leaf"],
        passphrase: Passphrase::Wrong,
        message: &["wrong passphrase for workspace", "ws.db"],
        ..DEFAULT
    },
    export_key_wrong_passphrase: Case {
        args: &["cert", "export", "leaf", "--format", "pem", "--key", "--key-in-clear", "--out", "leaf-key.pem"],
        passphrase: Passphrase::Wrong,
        message: &["wrong passphrase for workspace", "ws.db"],
        ..DEFAULT
    },
    authority_create_wrong_passphrase: Case {
        args: &["authority", "create", "new-root"],
        passphrase: Passphrase::Wrong,
        message: &["wrong passphrase for workspace", "ws.db"],
        ..DEFAULT
    },
    crl_wrong_passphrase: Case {
        args: &["authority", "crl", "inter", "--out", "crl.pem"],
        passphrase: Passphrase::Wrong,
        message: &["wrong passphrase for workspace", "ws.db"],
        ..DEFAULT
    },
    passphrase_unset_no_terminal: Case {
        args: &["cert", "rotate", "leaf"],
        passphrase: Passphrase::Unset,
        message: &["no passphrase", "HOPSCOPE_PASSPHRASE_FILE"],
        ..DEFAULT
    },
    init_passphrase_unset_no_terminal: Case {
        args: &["init"],
        passphrase: Passphrase::Unset,
        workspace: "new-workspace.db",
        message: &["no passphrase", "HOPSCOPE_PASSPHRASE_FILE"],
        ..DEFAULT
    },
    passphrase_file_missing: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "inter", "--url", "https://new.test/"],
        passphrase: Passphrase::MissingFile,
        message: &["cannot read password file", "no-such-passphrase-file"],
        ..DEFAULT
    },

    // Damaged input files.
    import_malformed_pem: Case {
        args: &["import", "malformed.pem", "--role", "public-endpoint"],
        message: &["malformed.pem", "malformed PEM", "\"CERTIFICATE\""],
        ..DEFAULT
    },
    import_truncated_pem: Case {
        args: &["import", "truncated.pem"],
        message: &["truncated.pem", "at line 1 is truncated"],
        ..DEFAULT
    },
    import_truncated_der: Case {
        args: &["import", "truncated.der"],
        message: &["truncated.der", "the DER is truncated"],
        ..DEFAULT
    },
    import_garbage: Case {
        args: &["import", "garbage.bin"],
        message: &["garbage.bin", "malformed input"],
        ..DEFAULT
    },
    inspect_garbage: Case {
        args: &["inspect", "garbage.bin"],
        message: &["garbage.bin", "malformed input"],
        ..DEFAULT
    },
    import_key_mismatch: Case {
        args: &["import", "mismatch.pem", "--role", "public-endpoint"],
        message: &["does not match the certificate", "CN=mismatch-cert"],
        ..DEFAULT
    },
    import_p12_wrong_password: Case {
        args: &["import", "other.p12", "--role", "public-endpoint", "--password-file", "export-password"],
        message: &["other.p12", "wrong password for PKCS#12"],
        ..DEFAULT
    },
    import_encrypted_key_without_password: Case {
        args: &["import", "encrypted-key.pem"],
        message: &["encrypted-key.pem", "no password was given"],
        ..DEFAULT
    },
    import_csr_without_authority: Case {
        args: &["import", "request.csr", "--role", "private-endpoint"],
        message: &["request.csr", "--authority"],
        ..DEFAULT
    },

    // URLs that cannot be FHIR base URLs.
    url_http: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "inter", "--url", "http://x.test/"],
        message: &["\"http://x.test/\"", "https"],
        ..DEFAULT
    },
    url_without_host: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "inter", "--url", "https://:8443/fhir"],
        message: &["\"https://:8443/fhir\"", "empty host"],
        ..DEFAULT
    },
    url_with_userinfo: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "inter", "--url", "https://u:p@x.test/"],
        message: &["\"https://u:p@x.test/\"", "user name or password"],
        ..DEFAULT
    },
    url_with_fragment: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "inter", "--url", "https://x.test/#f"],
        message: &["\"https://x.test/#f\"", "fragment"],
        ..DEFAULT
    },
    url_not_a_url: Case {
        args: &["cert", "issue", "new-leaf", "--role", "originator", "--authority", "inter", "--url", "not a url"],
        message: &["invalid FHIR base URL \"not a url\""],
        ..DEFAULT
    },

    // Names that are unknown, taken or invalid.
    issue_unknown_authority: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "nosuch-ca", "--url", "https://new.test/"],
        message: &["authority \"nosuch-ca\" not found"],
        ..DEFAULT
    },
    show_unknown_credential: Case {
        args: &["cert", "show", "nosuch"],
        message: &["credential \"nosuch\" not found"],
        ..DEFAULT
    },
    rotate_unknown_credential: Case {
        args: &["cert", "rotate", "nosuch"],
        message: &["credential \"nosuch\" not found"],
        ..DEFAULT
    },
    export_unknown_credential: Case {
        args: &["cert", "export", "nosuch", "--format", "pem", "--out", "nosuch.pem"],
        message: &["credential \"nosuch\" not found"],
        ..DEFAULT
    },
    revoke_unknown_credential: Case {
        args: &["cert", "revoke", "nosuch", "--reason", "superseded"],
        message: &["credential \"nosuch\" not found"],
        ..DEFAULT
    },
    issue_duplicate_name: Case {
        args: &["cert", "issue", "leaf", "--role", "public-endpoint", "--authority", "inter", "--url", "https://new.test/"],
        message: &["a credential named \"leaf\" already exists"],
        ..DEFAULT
    },
    authority_duplicate_name: Case {
        args: &["authority", "create", "inter", "--parent", "root"],
        message: &["a credential named \"inter\" already exists"],
        ..DEFAULT
    },
    issue_invalid_name: Case {
        args: &["cert", "issue", "new leaf", "--role", "public-endpoint", "--authority", "inter", "--url", "https://new.test/"],
        message: &["invalid name \"new leaf\""],
        ..DEFAULT
    },
    issue_under_keyless_authority: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "keyless-ca", "--url", "https://new.test/"],
        message: &["authority \"keyless-ca\" has no private key"],
        ..DEFAULT
    },
    issue_under_non_authority: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "leaf", "--url", "https://new.test/"],
        message: &["\"leaf\" is not an authority"],
        ..DEFAULT
    },

    // Option values.
    issue_unknown_role: Case {
        args: &["cert", "issue", "new-leaf", "--role", "nurse", "--authority", "inter", "--url", "https://new.test/"],
        message: &["unknown role \"nurse\""],
        ..DEFAULT
    },
    issue_unknown_key_type: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "inter", "--url", "https://new.test/", "--key", "dsa-1024"],
        message: &["unknown key type \"dsa-1024\""],
        ..DEFAULT
    },
    authority_unknown_key_type: Case {
        args: &["authority", "create", "new-root", "--key", "rsa-1024"],
        message: &["unknown key type \"rsa-1024\""],
        ..DEFAULT
    },
    validity_zero: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "inter", "--url", "https://new.test/", "--validity", "0d"],
        message: &["invalid duration \"0d\""],
        ..DEFAULT
    },
    validity_without_unit: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "inter", "--url", "https://new.test/", "--validity", "10"],
        message: &["invalid duration \"10\""],
        ..DEFAULT
    },
    validity_not_a_number: Case {
        args: &["authority", "create", "new-root", "--validity", "abc"],
        message: &["invalid duration \"abc\""],
        ..DEFAULT
    },
    expiring_not_a_duration: Case {
        args: &["cert", "list", "--expiring", "abc"],
        message: &["invalid duration \"abc\""],
        ..DEFAULT
    },
    revoke_unknown_reason: Case {
        args: &["cert", "revoke", "leaf", "--reason", "because"],
        message: &["\"because\" is not one of"],
        ..DEFAULT
    },
    revoke_already_revoked: Case {
        args: &["cert", "revoke", "revoked-leaf", "--reason", "key-compromise"],
        message: &["\"revoked-leaf\"", "already revoked"],
        ..DEFAULT
    },
    policy_fraction_out_of_range: Case {
        args: &["cert", "policy", "leaf", "--remaining", "1.5"],
        message: &["invalid rotation threshold 1.5"],
        ..DEFAULT
    },

    // Export options.
    p12_without_password_file: Case {
        args: &["cert", "export", "leaf", "--format", "p12", "--out", "leaf.p12"],
        message: &["PKCS#12", "--password-file"],
        ..DEFAULT
    },
    key_without_password_or_clear: Case {
        args: &["cert", "export", "leaf", "--format", "pem", "--key", "--out", "leaf.pem"],
        message: &["the exported key is encrypted", "--password-file", "--key-in-clear"],
        ..DEFAULT
    },
    key_with_empty_password_file: Case {
        args: &["cert", "export", "leaf", "--format", "pem", "--key", "--password-file", "empty-password", "--out", "leaf.pem"],
        message: &["empty-password", "is empty"],
        ..DEFAULT
    },
    der_with_key: Case {
        args: &["cert", "export", "leaf", "--format", "der", "--key", "--key-in-clear", "--out", "leaf.der"],
        message: &["DER cannot contain a key"],
        ..DEFAULT
    },

    // The workspace file.
    init_existing_workspace: Case {
        args: &["init"],
        message: &["a workspace already exists at", "ws.db"],
        ..DEFAULT
    },
    workspace_not_sqlite: Case {
        args: &["cert", "list"],
        workspace: "not-a-workspace.db",
        message: &["not-a-workspace.db", "not a database"],
        ..DEFAULT
    },
    workspace_empty_file: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "inter", "--url", "https://new.test/"],
        workspace: "empty.db",
        message: &["empty.db", "is not a Hopscope workspace"],
        ..DEFAULT
    },
    workspace_missing: Case {
        args: &["cert", "list"],
        workspace: "no-such-workspace.db",
        message: &["no-such-workspace.db", "hopscope init"],
        ..DEFAULT
    },

    // Usage errors, exit status 2.
    export_unknown_format: Case {
        args: &["cert", "export", "leaf", "--format", "pfx", "--out", "leaf.pfx"],
        exit: 2,
        message: &["'pfx'"],
        ..DEFAULT
    },
    key_in_clear_without_key: Case {
        args: &["cert", "export", "leaf", "--format", "pem", "--key-in-clear", "--out", "leaf.pem"],
        exit: 2,
        message: &["required arguments were not provided"],
        ..DEFAULT
    },
    issue_without_url: Case {
        args: &["cert", "issue", "new-leaf", "--role", "public-endpoint", "--authority", "inter"],
        exit: 2,
        message: &["required arguments were not provided"],
        ..DEFAULT
    },
}
