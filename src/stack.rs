//! Starting services: the whole stack in one process (`up`), one service
//! (`serve`), or only their migrations (`migrate`).

use std::process::ExitCode;

use anyhow::Context;
use hamafza_kit::auth::TokenVerifier;
use hamafza_kit::config::{Config, ServiceName};
use hamafza_kit::shutdown::Shutdown;
use hamafza_kit::{db, telemetry};
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use tokio::net::TcpListener;

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
    let courses_listener = bind(&config, ServiceName::Courses).await?;

    let shutdown = Shutdown::on_signals();
    print_banner(&config, &courses_listener);
    let courses = tokio::spawn({
        let config = config.clone();
        let shutdown = shutdown.clone();
        async move {
            hamafza_courses::serve(&config, courses_db, verifier, courses_listener, shutdown).await
        }
    });
    courses
        .await
        .context("the courses service stopped unexpectedly")??;
    Ok(ExitCode::SUCCESS)
}

/// Runs the courses service alone against an already migrated database.
pub async fn serve_courses(config: Config) -> anyhow::Result<ExitCode> {
    let _telemetry = telemetry::init("courses", &config.log)?;
    let url = config.database_url(ServiceName::Courses);
    let db = db::connect(&url)
        .await
        .context("connecting to the courses database")?;
    let pending = hamafza_courses::Migrator::get_pending_migrations(&db).await?;
    if !pending.is_empty() {
        anyhow::bail!(
            "the courses database has {} pending migrations; run `hamafza migrate` first",
            pending.len()
        );
    }
    let verifier = TokenVerifier::from_config(&config.auth, &config.data_dir).await?;
    let listener = bind(&config, ServiceName::Courses).await?;
    tracing::info!(addr = %listener.local_addr()?, "courses service listening");
    hamafza_courses::serve(&config, db, verifier, listener, Shutdown::on_signals()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Applies every service's pending migrations.
pub async fn migrate(config: Config) -> anyhow::Result<ExitCode> {
    let _telemetry = telemetry::init("migrate", &config.log)?;
    open::<hamafza_courses::Migrator>(&config, ServiceName::Courses).await?;
    println!("courses: migrations applied");
    Ok(ExitCode::SUCCESS)
}

async fn open<M: MigratorTrait>(
    config: &Config,
    service: ServiceName,
) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url(service);
    db::connect_and_migrate::<M>(&url)
        .await
        .with_context(|| format!("preparing the {} database", service.as_str()))
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

fn print_banner(config: &Config, courses: &TcpListener) {
    let courses_addr = courses
        .local_addr()
        .map_or_else(|_| config.courses.addr.to_string(), |a| a.to_string());
    let data = config.data_dir.display();
    println!(
        "\nHamafza is running (Ctrl-C stops it)\n\
         \n  courses        grpc://{courses_addr}   hamafza.courses.v1.{{Course,Session,Organization,Event}}Service\
         \n  data           {data} (SQLite; delete it to start over with fresh demo data)\
         \n\nGet a token (signed by the development issuer in {data}):\
         \n  cargo run -- token --sub admin --org imidro --role platform_admin\
         \n  cargo run -- token --sub council-msc --org msc --role council --role org_manager\
         \n  cargo run -- token --sub trainee-msc-1 --org msc --role trainee\
         \n\nCall it:\
         \n  buf curl --protocol grpc --http2-prior-knowledge --list-services http://{courses_addr}\
         \n  buf curl --protocol grpc --http2-prior-knowledge -H \"authorization: Bearer $TOKEN\" \\\
         \n    http://{courses_addr}/hamafza.courses.v1.CourseService/ListCourses\n"
    );
}
