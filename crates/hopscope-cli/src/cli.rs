//! Command-line grammar. The forms here are a contract that operators'
//! scripts rely on: names, flags and exit codes do not change.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "hopscope", version, about = "Certificates, trust lists and a test gateway for intermediary FHIR exchanges")]
pub struct Cli {
    /// Workspace file (default: $HOPSCOPE_WORKSPACE, else $XDG_DATA_HOME/hopscope/workspace.db)
    #[arg(long, global = true, value_name = "PATH")]
    pub workspace: Option<PathBuf>,

    /// Log more on stderr (repeat for more); HOPSCOPE_LOG takes a tracing filter
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a workspace; the passphrase comes from HOPSCOPE_PASSPHRASE_FILE or a prompt
    Init,
    /// Certificate authorities
    #[command(subcommand)]
    Authority(AuthorityCommand),
    /// Credentials and their certificates
    #[command(subcommand)]
    Cert(CertCommand),
    /// Import certificates, keys, PKCS#12 files, or sign a CSR
    Import(ImportArgs),
    /// Show every certificate in a file without storing anything
    Inspect(InspectArgs),
    /// Show the audit log, newest first
    Audit(AuditArgs),
    /// Destinations of the exchange
    #[command(subcommand)]
    Destination(DestinationCommand),
    /// Inbound gateways and delegated intermediaries
    #[command(subcommand)]
    Intermediary(IntermediaryCommand),
    /// Routes from a destination's public URL to its private URL
    #[command(subcommand)]
    Route(RouteCommand),
    /// The whole topology and its validation
    #[command(subcommand)]
    Topology(TopologyCommand),
    /// Fill the workspace with the demo network (does nothing if it is there)
    Demo(JsonFlag),
    /// Destination trust lists and trust decisions
    #[command(subcommand)]
    Trust(TrustCommand),
    /// The embedded test gateway: run the topology on 127.0.0.1, set faults per hop
    #[command(subcommand)]
    Gateway(crate::commands::gateway::GatewayCommand),
    /// Exchanges the gateway recorded, hop by hop
    #[command(subcommand)]
    Trace(crate::commands::trace::TraceCommand),
    /// Signed exchanges from the originator simulator, with a verdict each
    #[command(subcommand)]
    Exchange(crate::commands::exchange::ExchangeCommand),
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Show a destination's trust list
    List(TrustListArgs),
    /// Add an anchor, a pinned originator or a denied originator
    Add(TrustAddArgs),
    /// Remove an entry by its id (see `trust list`)
    Remove(TrustRemoveArgs),
    /// Change the note of an entry
    Note(TrustNoteArgs),
    /// Show every version of a trust list with its changes
    History(TrustListArgs),
    /// Show the changes between two versions (0 is the empty list)
    Diff(TrustDiffArgs),
    /// Make an earlier version current again, as a new version
    Revert(TrustRevertArgs),
    /// Decide whether the destination trusts an originator; exit 0 trusted, 3 not trusted, 1 on an error
    Check(TrustCheckArgs),
    /// Write the anchors as a PEM bundle, or the whole list as JSON
    Export(TrustExportArgs),
    /// Read a JSON trust list (replaces the list) or a PEM bundle of anchors (adds them)
    Import(TrustImportArgs),
}

#[derive(Debug, Args)]
pub struct TrustListArgs {
    pub destination: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("entry").required(true).args(["anchor", "pin", "deny", "deny_spki", "deny_uri"])))]
pub struct TrustAddArgs {
    pub destination: String,
    /// An authority of the workspace by name, or a PEM/DER file of CA certificates
    #[arg(long, value_name = "AUTHORITY|FILE")]
    pub anchor: Option<String>,
    /// A certificate file whose key is trusted without an anchor
    #[arg(long, value_name = "FILE")]
    pub pin: Option<PathBuf>,
    /// A certificate file to deny by its fingerprint
    #[arg(long, value_name = "FILE")]
    pub deny: Option<PathBuf>,
    /// An SPKI SHA-256 (64 hex digits) to deny
    #[arg(long, value_name = "HEX")]
    pub deny_spki: Option<String>,
    /// A SAN URI (the originator's client URI) to deny
    #[arg(long, value_name = "URI")]
    pub deny_uri: Option<String>,
    /// Reason for the entry, shown beside it
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub note: String,
}

#[derive(Debug, Args)]
pub struct TrustRemoveArgs {
    pub destination: String,
    pub entry: String,
}

#[derive(Debug, Args)]
pub struct TrustNoteArgs {
    pub destination: String,
    pub entry: String,
    pub note: String,
}

#[derive(Debug, Args)]
pub struct TrustDiffArgs {
    pub destination: String,
    pub from: i64,
    pub to: i64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TrustRevertArgs {
    pub destination: String,
    pub version: i64,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("presented").required(true).args(["jwt", "chain"])))]
pub struct TrustCheckArgs {
    pub destination: String,
    /// A file holding the compact JWT the originator signed (software statement or client assertion)
    #[arg(long, value_name = "FILE")]
    pub jwt: Option<PathBuf>,
    /// A PEM file holding the originator's certificate chain, leaf first
    #[arg(long, value_name = "FILE")]
    pub chain: Option<PathBuf>,
    /// Evaluation time, RFC 3339 such as 2027-01-31T12:00:00Z (default: now)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TrustExportArgs {
    pub destination: String,
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value = "pem")]
    pub format: TrustFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TrustFormat {
    Pem,
    Json,
}

#[derive(Debug, Args)]
pub struct TrustImportArgs {
    pub destination: String,
    pub file: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum DestinationCommand {
    /// Add a destination with its public and private URLs
    Add(DestinationAddArgs),
    /// Change a destination's URLs or credentials, keeping its route and trust list
    Update(DestinationUpdateArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args(["public_url", "private_url", "endpoint_cert", "signing_cert", "external", "address"])))]
pub struct DestinationUpdateArgs {
    pub name: String,
    /// The public FHIR base URL originators use
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// The destination's own (private) URL, behind the intermediaries
    #[arg(long, value_name = "URL")]
    pub private_url: Option<String>,
    /// Private-endpoint credential that serves the private URL
    #[arg(long, value_name = "CERT")]
    pub endpoint_cert: Option<String>,
    /// Destination-signing credential that signs payloads and tokens
    #[arg(long, value_name = "CERT")]
    pub signing_cert: Option<String>,
    /// Whether the destination is a FHIR server you run at the private URL, which the gateway does not start
    #[arg(long, value_name = "BOOL")]
    pub external: Option<bool>,
    /// IP address the private URL's host maps to, for an external destination (default 127.0.0.1)
    #[arg(long, value_name = "IP")]
    pub address: Option<String>,
}

#[derive(Debug, Args)]
pub struct DestinationAddArgs {
    pub name: String,
    /// The public FHIR base URL originators use
    #[arg(long, value_name = "URL")]
    pub public_url: String,
    /// The destination's own (private) URL, behind the intermediaries
    #[arg(long, value_name = "URL")]
    pub private_url: String,
    /// Private-endpoint credential that serves the private URL
    #[arg(long, value_name = "CERT")]
    pub endpoint_cert: Option<String>,
    /// Destination-signing credential that signs payloads and tokens
    #[arg(long, value_name = "CERT")]
    pub signing_cert: Option<String>,
    /// The destination is a FHIR server you run at the private URL; the gateway forwards to it and starts no stub
    #[arg(long)]
    pub external: bool,
    /// IP address the private URL's host maps to (default 127.0.0.1); needs --external
    #[arg(long, value_name = "IP", requires = "external")]
    pub address: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum IntermediaryCommand {
    /// Add an inbound gateway or a delegated intermediary
    Add(IntermediaryAddArgs),
    /// Replace an intermediary's listen URLs or credentials
    Update(IntermediaryUpdateArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args(["listen", "cert", "forwarded", "via_header"])))]
pub struct IntermediaryUpdateArgs {
    pub name: String,
    /// Add a Forwarded request header (RFC 7239) when forwarding
    #[arg(long, value_name = "BOOL")]
    pub forwarded: Option<bool>,
    /// Add a Via request header (RFC 9110) when forwarding
    #[arg(long, value_name = "BOOL")]
    pub via_header: Option<bool>,
    /// URLs it listens on, replacing the current ones
    #[arg(long = "listen", value_name = "URL", num_args = 1..)]
    pub listen: Vec<String>,
    /// Credentials that serve the listen URLs, replacing the current ones
    #[arg(long = "cert", value_name = "CERT", num_args = 1..)]
    pub cert: Vec<String>,
}

#[derive(Debug, Args)]
pub struct IntermediaryAddArgs {
    pub name: String,
    /// inbound-gateway or delegated
    #[arg(long)]
    pub kind: String,
    /// URLs it listens on
    #[arg(long = "listen", value_name = "URL", num_args = 1.., required = true)]
    pub listen: Vec<String>,
    /// Credentials that serve the listen URLs (public-endpoint for a gateway, private-endpoint for a delegated one)
    #[arg(long = "cert", value_name = "CERT", num_args = 1..)]
    pub cert: Vec<String>,
    /// Add a Forwarded request header (RFC 7239) when forwarding; off by default
    #[arg(long)]
    pub forwarded: bool,
    /// Add a Via request header (RFC 9110) when forwarding; off by default
    #[arg(long)]
    pub via_header: bool,
}

#[derive(Debug, Subcommand)]
pub enum RouteCommand {
    /// Set a destination's route: the inbound gateway, then delegated intermediaries
    Add(RouteAddArgs),
}

#[derive(Debug, Args)]
pub struct RouteAddArgs {
    pub destination: String,
    #[arg(long, value_name = "INTERMEDIARY", num_args = 1.., required = true)]
    pub via: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum TopologyCommand {
    /// Show destinations, intermediaries and routes
    Show(JsonFlag),
    /// Validate the topology; exit status 1 when there are findings
    Check(JsonFlag),
}

#[derive(Debug, Subcommand)]
pub enum AuthorityCommand {
    /// Create a root, or an intermediate under --parent
    Create(AuthorityCreateArgs),
    /// List authorities
    List(JsonFlag),
    /// Write an authority's certificate to a file
    Export(AuthorityExportArgs),
    /// Write a freshly signed CRL of an authority to a file
    Crl(AuthorityExportArgs),
}

#[derive(Debug, Args)]
pub struct AuthorityCreateArgs {
    pub name: String,
    /// Authority that signs it; without it the authority is a self-signed root
    #[arg(long, value_name = "AUTHORITY")]
    pub parent: Option<String>,
    /// Key type: ecdsa-p256, ecdsa-p384, ed25519, rsa-2048, rsa-3072, rsa-4096
    #[arg(long = "key", value_name = "TYPE", default_value = "ecdsa-p256")]
    pub key_type: String,
    /// Lifetime, such as 90d, 12h, 2y [default: 10y for a root, 5y for an intermediate]
    #[arg(long, value_name = "DURATION")]
    pub validity: Option<String>,
    /// Most intermediate authorities allowed below it (basic constraints); no limit by default
    #[arg(long, value_name = "N")]
    pub path_len: Option<u8>,
}

#[derive(Debug, Args)]
pub struct AuthorityExportArgs {
    pub name: String,
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value = "pem")]
    pub format: PemOrDer,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PemOrDer {
    Pem,
    Der,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CertFormat {
    Pem,
    Der,
    P12,
}

#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Issue a certificate for a role, with SANs derived from --url
    Issue(IssueArgs),
    /// List credentials (authorities excluded)
    List(ListArgs),
    /// Show a credential's current certificate and its history
    Show(ShowArgs),
    /// Issue a successor and make it current
    Rotate(RotateArgs),
    /// Revoke a credential's current certificate
    Revoke(RevokeArgs),
    /// Write a credential's certificate, chain or key to a file
    Export(ExportArgs),
    /// List credentials (authorities included) due for rotation
    Due(JsonFlag),
    /// Set when a credential is due for rotation
    Policy(PolicyArgs),
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    pub name: String,
    /// public-endpoint, private-endpoint, originator or destination-signing
    #[arg(long)]
    pub role: String,
    #[arg(long, value_name = "AUTHORITY")]
    pub authority: String,
    /// The FHIR base URL (endpoint and destination-signing roles) or client URI (originator)
    #[arg(long)]
    pub url: String,
    /// Key type: ecdsa-p256, ecdsa-p384, ed25519, rsa-2048, rsa-3072, rsa-4096
    #[arg(long = "key", value_name = "TYPE", default_value = "ecdsa-p256")]
    pub key_type: String,
    /// Lifetime, such as 90d, 12h, 2y
    #[arg(long, value_name = "DURATION", default_value = "90d")]
    pub validity: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only credentials whose current certificate expires within DURATION
    #[arg(long, value_name = "DURATION")]
    pub expiring: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub name: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    pub name: String,
    /// Keep the current key instead of generating a new one
    #[arg(long)]
    pub reuse_key: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    pub name: String,
    /// unspecified, key-compromise, ca-compromise, affiliation-changed, superseded,
    /// cessation-of-operation, certificate-hold, privilege-withdrawn
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    pub name: String,
    #[arg(long, value_enum)]
    pub format: CertFormat,
    /// Add the issuing authorities up to and including the root
    #[arg(long)]
    pub chain: bool,
    /// Add the private key, encrypted with the password from --password-file
    #[arg(long)]
    pub key: bool,
    /// With --key and PEM: write the key unencrypted
    #[arg(long, requires = "key")]
    pub key_in_clear: bool,
    /// PKCS#12 with 3DES and SHA-1 MAC, for appliances and older Windows that reject AES
    #[arg(long)]
    pub legacy: bool,
    /// File whose first line is the password that encrypts the key or PKCS#12 file
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    pub name: String,
    /// Rotate once this fraction of the lifetime is left, such as 0.33
    #[arg(long, value_name = "FRACTION")]
    pub remaining: Option<f64>,
    /// Let the running app rotate it without asking
    #[arg(long, value_name = "BOOL")]
    pub auto_rotate: Option<bool>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    pub file: PathBuf,
    /// Credential name (default: the certificate's common name)
    #[arg(long)]
    pub name: Option<String>,
    /// Role of the leaf certificate; authorities are recognised by themselves
    #[arg(long)]
    pub role: Option<String>,
    /// File whose first line is the password of an encrypted key or PKCS#12 file
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// For a CSR: the authority that signs it
    #[arg(long, value_name = "AUTHORITY")]
    pub authority: Option<String>,
    /// For a CSR: the URL the SANs are derived from (default: the CSR's own SANs)
    #[arg(long)]
    pub url: Option<String>,
    /// For a CSR: lifetime, such as 90d
    #[arg(long, value_name = "DURATION")]
    pub validity: Option<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    pub file: PathBuf,
    /// File whose first line is the password of a PKCS#12 file
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Show at most N entries
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    #[arg(long)]
    pub json: bool,
}
