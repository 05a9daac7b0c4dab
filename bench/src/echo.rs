//! The transport's own cost, to measure a call against (issue 17, item 6): a
//! bare tonic server of the same tonic, serving only `grpc.health.v1` with
//! no layers, no token, no span, no metrics and no log line. Its
//! `Health/Check` is the cheapest unary call tonic can answer; the same
//! call against a service goes through that service's server stack
//! (telemetry and admission) without a token or a handler.

use std::net::SocketAddr;

use tonic::transport::Channel;
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// Serves health on `addr` until killed.
pub async fn serve(addr: SocketAddr) -> anyhow::Result<()> {
    let (reporter, service) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", ServingStatus::Serving)
        .await;
    tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .add_service(service)
        .serve(addr)
        .await?;
    Ok(())
}

/// One `Health/Check` of the whole server.
pub async fn check(channel: Channel) -> Result<(), tonic::Status> {
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(drop)
}
