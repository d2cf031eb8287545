//! The reference for `make bench`: a bare actix-ws server that echoes text frames, the least
//! any actix-ws gateway can cost per session and per round trip.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use actix_ws::AggregatedMessage;
use futures_util::StreamExt;

async fn ws(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, mut session, stream) = actix_ws::handle(&req, body)?;
    let mut stream = stream.aggregate_continuations();
    actix_web::rt::spawn(async move {
        while let Some(Ok(msg)) = stream.next().await {
            let sent = match msg {
                AggregatedMessage::Text(t) => session.text(t).await,
                AggregatedMessage::Ping(b) => session.pong(&b).await,
                AggregatedMessage::Close(_) => break,
                _ => Ok(()),
            };
            if sent.is_err() {
                break;
            }
        }
        let _ = session.close(None).await;
    });
    Ok(response)
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8099);
    HttpServer::new(|| App::new().route("/ws", web::get().to(ws)))
        .bind(("127.0.0.1", port))?
        .run()
        .await?;
    Ok(())
}
