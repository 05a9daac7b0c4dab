//! A unary call whose reply is counted, not decoded: what `wrk` does over
//! HTTP, for reads whose replies are large (a catalog page of 50 courses in
//! two languages). Decoding them in the load generator, on the same two
//! cores as the server, would measure the generator more than the server.

use std::marker::PhantomData;

use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

/// Encodes the request as protobuf; reads the reply's length only.
pub struct Counted<T>(PhantomData<T>);

impl<T> Default for Counted<T> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

/// The request's encoder.
pub struct Encode<T>(PhantomData<T>);

impl<T: prost::Message> Encoder for Encode<T> {
    type Item = T;
    type Error = Status;

    fn encode(&mut self, item: T, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|error| Status::internal(format!("encoding the request: {error}")))
    }
}

/// The reply's "decoder": its length in bytes.
pub struct Length;

impl Decoder for Length {
    type Item = usize;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<usize>, Status> {
        use prost::bytes::Buf as _;
        let length = src.remaining();
        src.advance(length);
        Ok(Some(length))
    }
}

impl<T: prost::Message + Send + 'static> Codec for Counted<T> {
    type Encode = T;
    type Decode = usize;
    type Encoder = Encode<T>;
    type Decoder = Length;

    fn encoder(&mut self) -> Encode<T> {
        Encode(PhantomData)
    }

    fn decoder(&mut self) -> Length {
        Length
    }
}

/// Calls `path` (`/package.Service/Method`) with `request`; the reply's
/// length in bytes.
pub async fn call<T: prost::Message + Send + 'static>(
    channel: Channel,
    path: &'static str,
    request: tonic::Request<T>,
) -> Result<usize, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|error| Status::unavailable(format!("the channel is not ready: {error}")))?;
    let reply = grpc
        .unary(request, PathAndQuery::from_static(path), Counted::default())
        .await?;
    Ok(reply.into_inner())
}
