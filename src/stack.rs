//! Starting services: the whole stack in one process (`up`), one service
//! (`serve`), or only their migrations (`migrate`).

use std::process::ExitCode;

use anyhow::Context;
use hamafza_certification::CertificationService;
use hamafza_courses::CoursesService;
use hamafza_enrolments::EnrolmentsService;
use hamafza_gateway::GatewayService;
use hamafza_kit::config::{Config, ServiceName};
use hamafza_kit::grpc::ServeError;
use hamafza_kit::service::{Migrations, Service, Shared};
use hamafza_kit::shutdown::Shutdown;
use hamafza_kit::{db, telemetry};
use hamafza_library::LibraryService;
use hamafza_notifications::NotificationsService;
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

    // Bind every port before building anything, so a taken port fails fast,
    // and services call each other at the addresses actually bound.
    let courses_listener = bind::<CoursesService>(&config).await?;
    let enrolments_listener = bind::<EnrolmentsService>(&config).await?;
    let certification_listener = bind::<CertificationService>(&config).await?;
    let notifications_listener = bind::<NotificationsService>(&config).await?;
    let library_listener = bind::<LibraryService>(&config).await?;
    let gateway_listener = bind::<GatewayService>(&config).await?;
    for (peer, listener) in [
        (&mut config.courses, &courses_listener),
        (&mut config.enrolments, &enrolments_listener),
        (&mut config.certification, &certification_listener),
        (&mut config.notifications, &notifications_listener),
        (&mut config.library, &library_listener),
    ] {
        peer.url
            .get_or_insert(format!("http://{}", listener.local_addr()?));
    }

    let shared = Shared::from_config(&config, Migrations::Apply).await?;
    let courses = CoursesService::build(&config, &shared).await?;
    let seeded = hamafza_courses::demo::seed(
        courses.store(),
        config.council.required_approvals,
        hamafza_kit::time::now(),
    )
    .await?;
    let enrolments = EnrolmentsService::build(&config, &shared).await?;
    if seeded {
        tracing::info!("demo data seeded");
        // Once the services answer: requests, rosters, certificates to renew.
        let begun = (enrolments.store().clone(), enrolments.courses().clone());
        tokio::spawn(crate::demo::first_day(config.clone(), Some(begun)));
    }
    let certification = CertificationService::build(&config, &shared).await?;
    let notifications = NotificationsService::build(&config, &shared).await?;
    let library = LibraryService::build(&config, &shared).await?;
    if hamafza_library::demo::seed(library.store(), library.files(), hamafza_kit::time::now())
        .await?
    {
        tracing::info!("demo library seeded");
    }
    let gateway = GatewayService::build(&config, &shared).await?;

    let shutdown = Shutdown::on_signals();
    print_banner(
        &config,
        [
            &gateway_listener,
            &courses_listener,
            &enrolments_listener,
            &certification_listener,
            &notifications_listener,
            &library_listener,
        ],
    );
    let mut services: JoinSet<(&str, Result<(), ServeError>)> = JoinSet::new();
    spawn(&mut services, courses, courses_listener, &shutdown);
    spawn(&mut services, enrolments, enrolments_listener, &shutdown);
    spawn(
        &mut services,
        certification,
        certification_listener,
        &shutdown,
    );
    spawn(
        &mut services,
        notifications,
        notifications_listener,
        &shutdown,
    );
    spawn(&mut services, library, library_listener, &shutdown);
    spawn(&mut services, gateway, gateway_listener, &shutdown);
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

fn spawn<S: Service>(
    services: &mut JoinSet<(&'static str, Result<(), ServeError>)>,
    service: S,
    listener: TcpListener,
    shutdown: &Shutdown,
) {
    let shutdown = shutdown.clone();
    services.spawn(async move { (S::NAME, service.serve(listener, shutdown).await) });
}

/// Runs one service alone (`hamafza serve <service>`) against an already
/// migrated database.
pub async fn serve<S: Service>(config: Config) -> anyhow::Result<ExitCode> {
    let _telemetry = telemetry::init(S::NAME, &config.log)?;
    let shared = Shared::from_config(&config, Migrations::Require).await?;
    let service = S::build(&config, &shared).await?;
    let listener = bind::<S>(&config).await?;
    tracing::info!(addr = %listener.local_addr()?, "{} listening", S::NAME);
    service.serve(listener, Shutdown::on_signals()).await?;
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
    open::<hamafza_gateway::Migrator>(&config, ServiceName::Gateway).await?;
    println!("gateway: migrations applied");
    open::<hamafza_notifications::Migrator>(&config, ServiceName::Notifications).await?;
    println!("notifications: migrations applied");
    open::<hamafza_library::Migrator>(&config, ServiceName::Library).await?;
    println!("library: migrations applied");
    Ok(ExitCode::SUCCESS)
}

async fn bind<S: Service>(config: &Config) -> anyhow::Result<TcpListener> {
    let addr = S::addr(config);
    TcpListener::bind(addr).await.with_context(|| {
        format!(
            "binding the {} service to {addr} (set HAMAFZA_{}_ADDR to use another)",
            S::NAME,
            S::NAME.to_uppercase()
        )
    })
}

/// Applies a service's pending migrations.
async fn open<M: MigratorTrait>(
    config: &Config,
    service: ServiceName,
) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url(service)?;
    db::connect_and_migrate::<M>(&url)
        .await
        .with_context(|| format!("preparing the {} database", service.as_str()))
}

/// Tells a newcomer what runs where and how to get in: the gateway, then
/// courses, enrolments, certification, notifications and the library.
fn print_banner(config: &Config, listeners: [&TcpListener; 6]) {
    let [
        gateway,
        courses,
        enrolments,
        certification,
        notifications,
        library,
    ] = listeners.map(|listener| {
        listener
            .local_addr()
            .map_or_else(|_| "?".to_owned(), |a| a.to_string())
    });
    let data = config.data_dir.display();
    println!(
        "\nHamafza is running (Ctrl-C stops it)\n\
         \n  web app        http://{gateway}   (Persian; ?lang=en for English; \
         sign in as a demo person)\
         \n  courses        grpc://{courses}   hamafza.courses.v1.{{Course,Session,\
         Organization,Event,Person}}Service\
         \n  enrolments     grpc://{enrolments}   hamafza.enrolments.v1.{{Enrolment,Report}}Service\
         \n  certification  grpc://{certification}   hamafza.certification.v1.CertificationService\
         \n  notifications  grpc://{notifications}   hamafza.notifications.v1.NotificationService \
         (emails kept in the development mailbox: http://{gateway}/dev/mailbox)\
         \n  library        grpc://{library}   hamafza.library.v1.LibraryService \
         (files in {data}/library unless HAMAFZA_LIBRARY_STORE_URL says otherwise)\
         \n  data           {data} (SQLite; delete it to start over with fresh demo data)\
         \n\nGet a token (signed by the development issuer in {data}):\
         \n  cargo run -- token --sub admin --org imidro --role platform_admin\
         \n  cargo run -- token --sub council-msc --org msc --role council --role org_manager\
         \n  cargo run -- token --sub trainee-msc-1 --org msc --role trainee --name \"سارا احمدی\"\
         \n\nCall it (README.md shows whole flows):\
         \n  buf curl --protocol grpc --http2-prior-knowledge --list-services http://{courses}\
         \n  buf curl --protocol grpc --http2-prior-knowledge \
         -H \"authorization: Bearer $TOKEN\" \\\
         \n    http://{courses}/hamafza.courses.v1.CourseService/ListCourses\n"
    );
}
