//! `hamafza`: the one binary. With no arguments it runs `up`, the whole
//! stack on embedded SQLite with demo data.

mod admin;
mod demo;
mod stack;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use hamafza_kit::auth::{DevIssuer, Role, TokenRequest};
use hamafza_kit::config::Config;
use hamafza_kit::grpc::{Health, check_health};

#[derive(Debug, Parser)]
#[command(
    name = "hamafza",
    version,
    about = "Hamafza: the holding's organization-wide training program"
)]
struct Cli {
    /// A TOML configuration file (also `HAMAFZA_CONFIG`); `HAMAFZA_*` variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every service in one process on embedded SQLite, with demo data (the default).
    Up,
    /// Run one service (what each compose container runs).
    Serve {
        /// The service.
        service: Service,
    },
    /// Apply pending database migrations of every service, then exit.
    Migrate {
        /// Also add the demo catalog (organizations, program, courses, open
        /// sessions) when the courses database has none: for a trial or a
        /// rehearsal, never for production.
        #[arg(long)]
        demo: bool,
    },
    /// Exit 0 when the gRPC server at ADDR reports SERVING, 1 otherwise.
    Healthcheck {
        /// The server, e.g. `127.0.0.1:50051` or `http://courses:50051`.
        #[arg(long)]
        addr: String,
        /// One service to ask about (e.g. `hamafza.courses.v1.CourseService`);
        /// empty for the server.
        #[arg(long, default_value = "")]
        service: String,
        /// How long to wait for an answer.
        #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
        timeout: Duration,
        /// Check an HTTP server's `/healthz` instead (the gateway).
        #[arg(long)]
        http: bool,
    },
    /// Print a token signed by the development issuer key in the data directory.
    Token {
        /// The subject (user id).
        #[arg(long)]
        sub: String,
        /// The organization id, e.g. `msc`.
        #[arg(long)]
        org: String,
        /// A role: platform_admin, council, org_manager, instructor, trainee or service;
        /// repeat for several.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        /// The display name.
        #[arg(long, default_value = "")]
        name: String,
        /// How long the token is valid, e.g. `1h`, `30m`, `7d`.
        #[arg(long, default_value = "8h", value_parser = humantime::parse_duration)]
        ttl: Duration,
    },
    /// Print the development issuer's public keys as a JWKS document, for
    /// services that trust it through `auth.jwks_file` (a rehearsal of a
    /// deployment without an identity provider).
    Jwks,
    /// Run the platform: organizations, programs, courses, sessions, events,
    /// enrolments, certificates, over the services' gRPC contracts.
    #[command(after_help = admin::EXIT_CODES)]
    Admin(Box<admin::AdminArgs>),
    /// Print a shell completion script: `source <(hamafza completions bash)`.
    #[command(
        after_help = "Examples:\n  source <(hamafza completions bash)\n  hamafza completions zsh > ~/.zfunc/_hamafza\n  hamafza completions fish > ~/.config/fish/completions/hamafza.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Services that `serve` can run.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Service {
    /// The catalog: organizations, programs, courses, sessions, events.
    Courses,
    /// Enrolments, seats, attendance, completion, benchmarking.
    Enrolments,
    /// Certificates: issue, sign, verify, revoke.
    Certification,
    /// Notifications: inboxes, preferences, email with calendar invitations.
    Notifications,
    /// The shared library of PR practice: items, files, downloads.
    Library,
    /// The web app and JSON API (HTTP).
    Gateway,
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::parse(&value.replace('-', "_")).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        format!("unknown role; one of: {}", known.join(", "))
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("hamafza: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("hamafza: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Up) {
            Command::Up => stack::up(config).await,
            Command::Serve { service } => match service {
                Service::Courses => stack::serve::<hamafza_courses::CoursesService>(config).await,
                Service::Enrolments => {
                    stack::serve::<hamafza_enrolments::EnrolmentsService>(config).await
                }
                Service::Certification => {
                    stack::serve::<hamafza_certification::CertificationService>(config).await
                }
                Service::Notifications => {
                    stack::serve::<hamafza_notifications::NotificationsService>(config).await
                }
                Service::Library => stack::serve::<hamafza_library::LibraryService>(config).await,
                Service::Gateway => stack::serve::<hamafza_gateway::GatewayService>(config).await,
            },
            Command::Migrate { demo } => stack::migrate(config, demo).await,
            Command::Healthcheck {
                addr,
                service,
                timeout,
                http,
            } => {
                if http {
                    http_healthcheck(&addr, timeout).await
                } else {
                    healthcheck(&addr, &service, timeout).await
                }
            }
            Command::Token {
                sub,
                org,
                roles,
                name,
                ttl,
            } => token(&config, sub, org, roles, name, ttl),
            Command::Jwks => jwks(&config),
            Command::Admin(args) => Ok(admin::run(*args, &config).await),
            Command::Completions { shell } => completions(shell),
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("hamafza: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn healthcheck(addr: &str, service: &str, timeout: Duration) -> anyhow::Result<ExitCode> {
    let url = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    };
    match check_health(&url, service, timeout).await {
        Ok(Health::Serving) => {
            println!("SERVING");
            Ok(ExitCode::SUCCESS)
        }
        Ok(Health::NotServing) => {
            println!("NOT_SERVING");
            Ok(ExitCode::FAILURE)
        }
        Err(error) => {
            eprintln!("{error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// GETs `/healthz` of the HTTP server at `addr`: exit 0 on 200.
async fn http_healthcheck(addr: &str, timeout: Duration) -> anyhow::Result<ExitCode> {
    let base = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    };
    let client = reqwest::Client::builder().timeout(timeout).build()?;
    match client
        .get(format!("{}/healthz", base.trim_end_matches('/')))
        .send()
        .await
    {
        Ok(response) if response.status().is_success() => {
            println!("SERVING");
            Ok(ExitCode::SUCCESS)
        }
        Ok(response) => {
            println!("NOT_SERVING ({})", response.status());
            Ok(ExitCode::FAILURE)
        }
        Err(error) => {
            eprintln!("cannot reach {base}: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Prints the completion script of `shell`, written whole so a closed pipe
/// is an error rather than a panic.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "hamafza", &mut script);
    match std::io::Write::write_all(&mut std::io::stdout(), &script) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn jwks(config: &Config) -> anyhow::Result<ExitCode> {
    let issuer =
        DevIssuer::load_or_create(&config.data_dir, &config.auth.issuer, &config.auth.audience)?;
    println!("{}", serde_json::to_string_pretty(&issuer.jwks())?);
    Ok(ExitCode::SUCCESS)
}

fn token(
    config: &Config,
    sub: String,
    org: String,
    roles: Vec<Role>,
    name: String,
    ttl: Duration,
) -> anyhow::Result<ExitCode> {
    if !config.auth.uses_dev_issuer() {
        anyhow::bail!(
            "tokens come from the identity provider when auth.jwks_file or auth.jwks_url is set; \
             `token` signs only with the development issuer"
        );
    }
    let issuer =
        DevIssuer::load_or_create(&config.data_dir, &config.auth.issuer, &config.auth.audience)?;
    let token = issuer.mint(&TokenRequest {
        subject: sub,
        organization_id: org,
        roles,
        name,
        ttl,
    })?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
