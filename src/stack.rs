//! Starting services: the whole stack in one process (`up`), one service
//! (`serve`), or only their migrations (`migrate`).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use hamafza_kit::auth::{DevIssuer, ServiceToken, TokenVerifier};
use hamafza_kit::config::{Config, ServiceName};
use hamafza_kit::grpc::ServeError;
use hamafza_kit::shutdown::Shutdown;
use hamafza_kit::{db, telemetry};
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// Runs every service in this process with demo data.
pub async fn up(mut config: Config) -> anyhow::Result<ExitCode> {
    // The whole stack on one machine trusts the development issuer it creates.
    config.auth.allow_dev_issuer = true;
    let _telemetry = telemetry::init("hamafza", &config.log)?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let verifier = TokenVerifier::from_config(&config.auth, &config.data_dir).await?;

    let courses_db = open::<hamafza_courses::Migrator>(&config, ServiceName::Courses).await?;
    let store = hamafza_courses::Store::new(courses_db.clone());
    if hamafza_courses::demo::seed(
        &store,
        config.council.required_approvals,
        hamafza_kit::time::now(),
    )
    .await?
    {
        tracing::info!("demo data seeded");
    }
    let enrolments_db =
        open::<hamafza_enrolments::Migrator>(&config, ServiceName::Enrolments).await?;
    let certification_db =
        open::<hamafza_certification::Migrator>(&config, ServiceName::Certification).await?;
    let issuer_keys = Arc::new(hamafza_certification::IssuerKeys::from_config(&config)?);

    // Bind every port before serving anything, so a taken port fails fast.
    let courses_listener = bind(&config, ServiceName::Courses).await?;
    let enrolments_listener = bind(&config, ServiceName::Enrolments).await?;
    let certification_listener = bind(&config, ServiceName::Certification).await?;
    let gateway_listener = TcpListener::bind(config.gateway.addr)
        .await
        .with_context(|| {
            format!(
                "binding the gateway to {} (set HAMAFZA_GATEWAY_ADDR to use another)",
                config.gateway.addr
            )
        })?;
    // Services call each other at the addresses actually bound.
    config
        .courses
        .url
        .get_or_insert(format!("http://{}", courses_listener.local_addr()?));
    config
        .enrolments
        .url
        .get_or_insert(format!("http://{}", enrolments_listener.local_addr()?));
    config
        .certification
        .url
        .get_or_insert(format!("http://{}", certification_listener.local_addr()?));
    let enrolments_peers =
        hamafza_enrolments::Peers::from_config(&config, service_identity(&config, "enrolments")?)?;
    let certification_courses = hamafza_certification::courses_channel(&config)?;
    let certification_identity = service_identity(&config, "certification")?;
    let gateway_backends =
        hamafza_gateway::Backends::from_config(&config, service_identity(&config, "gateway")?)?;
    let gateway_settings = hamafza_gateway::Settings {
        dev_issuer: Some(DevIssuer::load_or_create(
            &config.data_dir,
            &config.auth.issuer,
            &config.auth.audience,
        )?),
        public_base_url: config.credentials.public_base_url.clone(),
        oidc: None,
    };

    let shutdown = Shutdown::on_signals();
    print_banner(
        &config,
        [
            &gateway_listener,
            &courses_listener,
            &enrolments_listener,
            &certification_listener,
        ],
    );
    let mut services: JoinSet<(&str, Result<(), ServeError>)> = JoinSet::new();
    {
        let (config, verifier, shutdown) =
            (config.clone(), Arc::clone(&verifier), shutdown.clone());
        services.spawn(async move {
            let served =
                hamafza_courses::serve(&config, courses_db, verifier, courses_listener, shutdown)
                    .await;
            ("courses", served)
        });
    }
    {
        let (config, verifier, shutdown) =
            (config.clone(), Arc::clone(&verifier), shutdown.clone());
        services.spawn(async move {
            let served = hamafza_enrolments::serve(
                &config,
                enrolments_db,
                verifier,
                enrolments_peers,
                enrolments_listener,
                shutdown,
            )
            .await;
            ("enrolments", served)
        });
    }
    {
        let (config, verifier, shutdown) =
            (config.clone(), Arc::clone(&verifier), shutdown.clone());
        services.spawn(async move {
            let served = hamafza_certification::serve(
                &config,
                certification_db,
                verifier,
                issuer_keys,
                certification_courses,
                certification_identity,
                certification_listener,
                shutdown,
            )
            .await;
            ("certification", served)
        });
    }
    {
        let shutdown = shutdown.clone();
        services.spawn(async move {
            let served = hamafza_gateway::serve(
                gateway_settings,
                gateway_backends,
                verifier,
                gateway_listener,
                shutdown,
            )
            .await
            .map_err(|error| ServeError::Startup(format!("gateway: {error}")));
            ("gateway", served)
        });
    }
    // One service failing stops the others: a half stack is no stack.
    let mut failed = false;
    while let Some(joined) = services.join_next().await {
        match joined {
            Ok((_, Ok(()))) => {}
            Ok((name, Err(error))) => {
                tracing::error!(service = name, %error, "service failed; stopping the stack");
                failed = true;
            }
            Err(error) => {
                tracing::error!(%error, "a service task panicked; stopping the stack");
                failed = true;
            }
        }
        if failed {
            services.abort_all();
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs the courses service alone against an already migrated database.
pub async fn serve_courses(config: Config) -> anyhow::Result<ExitCode> {
    let _telemetry = telemetry::init("courses", &config.log)?;
    let db = connect_migrated::<hamafza_courses::Migrator>(&config, ServiceName::Courses).await?;
    let verifier = TokenVerifier::from_config(&config.auth, &config.data_dir).await?;
    let listener = bind(&config, ServiceName::Courses).await?;
    tracing::info!(addr = %listener.local_addr()?, "courses service listening");
    hamafza_courses::serve(&config, db, verifier, listener, Shutdown::on_signals()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the enrolments service alone against an already migrated database.
pub async fn serve_enrolments(config: Config) -> anyhow::Result<ExitCode> {
    let _telemetry = telemetry::init("enrolments", &config.log)?;
    let db =
        connect_migrated::<hamafza_enrolments::Migrator>(&config, ServiceName::Enrolments).await?;
    let verifier = TokenVerifier::from_config(&config.auth, &config.data_dir).await?;
    let peers =
        hamafza_enrolments::Peers::from_config(&config, service_identity(&config, "enrolments")?)?;
    let listener = bind(&config, ServiceName::Enrolments).await?;
    tracing::info!(addr = %listener.local_addr()?, "enrolments service listening");
    hamafza_enrolments::serve(
        &config,
        db,
        verifier,
        peers,
        listener,
        Shutdown::on_signals(),
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the certification service alone against an already migrated database.
pub async fn serve_certification(config: Config) -> anyhow::Result<ExitCode> {
    let _telemetry = telemetry::init("certification", &config.log)?;
    let db =
        connect_migrated::<hamafza_certification::Migrator>(&config, ServiceName::Certification)
            .await?;
    let verifier = TokenVerifier::from_config(&config.auth, &config.data_dir).await?;
    let keys = Arc::new(hamafza_certification::IssuerKeys::from_config(&config)?);
    let courses = hamafza_certification::courses_channel(&config)?;
    let identity = service_identity(&config, "certification")?;
    let listener = bind(&config, ServiceName::Certification).await?;
    tracing::info!(addr = %listener.local_addr()?, "certification service listening");
    hamafza_certification::serve(
        &config,
        db,
        verifier,
        keys,
        courses,
        identity,
        listener,
        Shutdown::on_signals(),
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the web gateway alone.
pub async fn serve_gateway(config: Config) -> anyhow::Result<ExitCode> {
    let _telemetry = telemetry::init("gateway", &config.log)?;
    let verifier = TokenVerifier::from_config(&config.auth, &config.data_dir).await?;
    let backends =
        hamafza_gateway::Backends::from_config(&config, service_identity(&config, "gateway")?)?;
    let oidc = match &config.oidc.issuer {
        Some(issuer) => {
            let secret = match &config.oidc.client_secret_file {
                Some(file) => std::fs::read_to_string(file)
                    .with_context(|| format!("reading the OIDC client secret {}", file.display()))?
                    .trim()
                    .to_owned(),
                None => String::new(),
            };
            Some(hamafza_gateway::oidc::OidcSettings {
                issuer: issuer.clone(),
                client_id: config.oidc.client_id.clone(),
                client_secret: secret,
                redirect_url: format!(
                    "{}/signin/callback",
                    config.credentials.public_base_url.trim_end_matches('/')
                ),
            })
        }
        None => None,
    };
    let dev_issuer = if config.auth.allow_dev_issuer && config.auth.uses_dev_issuer() {
        Some(DevIssuer::load_or_create(
            &config.data_dir,
            &config.auth.issuer,
            &config.auth.audience,
        )?)
    } else {
        None
    };
    let settings = hamafza_gateway::Settings {
        dev_issuer,
        public_base_url: config.credentials.public_base_url.clone(),
        oidc,
    };
    let listener = TcpListener::bind(config.gateway.addr)
        .await
        .with_context(|| format!("binding the gateway to {}", config.gateway.addr))?;
    tracing::info!(addr = %listener.local_addr()?, "gateway listening");
    hamafza_gateway::serve(
        settings,
        backends,
        verifier,
        listener,
        Shutdown::on_signals(),
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// Applies every service's pending migrations.
pub async fn migrate(config: Config, demo: bool) -> anyhow::Result<ExitCode> {
    let _telemetry = telemetry::init("migrate", &config.log)?;
    let courses = open::<hamafza_courses::Migrator>(&config, ServiceName::Courses).await?;
    println!("courses: migrations applied");
    if demo {
        let store = hamafza_courses::Store::new(courses);
        let seeded = hamafza_courses::demo::seed(
            &store,
            config.council.required_approvals,
            hamafza_kit::time::now(),
        )
        .await?;
        println!(
            "courses: {}",
            if seeded {
                "demo catalog added"
            } else {
                "demo catalog already there"
            }
        );
    }
    open::<hamafza_enrolments::Migrator>(&config, ServiceName::Enrolments).await?;
    println!("enrolments: migrations applied");
    open::<hamafza_certification::Migrator>(&config, ServiceName::Certification).await?;
    println!("certification: migrations applied");
    Ok(ExitCode::SUCCESS)
}

fn service_identity(config: &Config, service: &str) -> anyhow::Result<Arc<ServiceToken>> {
    Ok(Arc::new(
        ServiceToken::from_config(&config.auth, &config.data_dir, service)
            .with_context(|| format!("the {service} service's own identity"))?,
    ))
}

async fn open<M: MigratorTrait>(
    config: &Config,
    service: ServiceName,
) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url(service)?;
    db::connect_and_migrate::<M>(&url)
        .await
        .with_context(|| format!("preparing the {} database", service.as_str()))
}

/// Connects to a service's database and refuses to run it half-migrated.
async fn connect_migrated<M: MigratorTrait>(
    config: &Config,
    service: ServiceName,
) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url(service)?;
    let name = service.as_str();
    let db = db::connect(&url)
        .await
        .with_context(|| format!("connecting to the {name} database"))?;
    let pending = M::get_pending_migrations(&db).await?;
    if !pending.is_empty() {
        anyhow::bail!(
            "the {name} database has {} pending migrations; run `hamafza migrate` first",
            pending.len()
        );
    }
    Ok(db)
}

async fn bind(config: &Config, service: ServiceName) -> anyhow::Result<TcpListener> {
    let addr = config.service(service).addr;
    TcpListener::bind(addr).await.with_context(|| {
        format!(
            "binding the {} service to {addr} (set HAMAFZA_{}_ADDR to use another)",
            service.as_str(),
            service.as_str().to_uppercase()
        )
    })
}

/// Tells a newcomer what runs where and how to get in: the gateway, then
/// courses, enrolments and certification.
fn print_banner(config: &Config, listeners: [&TcpListener; 4]) {
    let [gateway, courses, enrolments, certification] = listeners.map(|listener| {
        listener
            .local_addr()
            .map_or_else(|_| "?".to_owned(), |a| a.to_string())
    });
    let data = config.data_dir.display();
    println!(
        "\nHamafza is running (Ctrl-C stops it)\n\
         \n  web app        http://{gateway}   (Persian; ?lang=en for English; sign in as a demo person)\
         \n  courses        grpc://{courses}   hamafza.courses.v1.{{Course,Session,Organization,Event}}Service\
         \n  enrolments     grpc://{enrolments}   hamafza.enrolments.v1.{{Enrolment,Report}}Service\
         \n  certification  grpc://{certification}   hamafza.certification.v1.CertificationService\
         \n  data           {data} (SQLite; delete it to start over with fresh demo data)\
         \n\nGet a token (signed by the development issuer in {data}):\
         \n  cargo run -- token --sub admin --org imidro --role platform_admin\
         \n  cargo run -- token --sub council-msc --org msc --role council --role org_manager\
         \n  cargo run -- token --sub trainee-msc-1 --org msc --role trainee --name \"سارا احمدی\"\
         \n\nCall it (README.md shows whole flows):\
         \n  buf curl --protocol grpc --http2-prior-knowledge --list-services http://{courses}\
         \n  buf curl --protocol grpc --http2-prior-knowledge -H \"authorization: Bearer $TOKEN\" \\\
         \n    http://{courses}/hamafza.courses.v1.CourseService/ListCourses\n"
    );
}
