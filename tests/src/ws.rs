//! A WebSocket client for the live event stream.

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame before failing (a bound, not a synchronisation).
const PATIENCE: Duration = Duration::from_secs(20);

/// A connected client.
#[derive(Debug)]
pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub code: Option<u16>,
    pub reason: String,
}

impl WsClient {
    pub async fn connect(url: &str) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        let (stream, _) = tokio_tungstenite::connect_async(url).await?;
        Ok(Self { stream })
    }

    /// Connects through a socket with a tiny receive buffer: a client that will stop reading.
    pub async fn connect_with_small_buffer(url: &str, address: std::net::SocketAddr) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("receive buffer");
        let tcp = socket.connect(address).await.expect("connect");
        let (stream, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(tcp))
            .await
            .expect("handshake");
        Self { stream }
    }

    /// The next frame as JSON, heartbeats included, or how the connection ended.
    pub async fn next_frame(&mut self) -> Result<Value, Closed> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.stream.next())
                .await
                .expect("a frame within the test's patience");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Ok(serde_json::from_str(text.as_str()).expect("frames are JSON"));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(Closed {
                        code: frame.as_ref().map(|f| u16::from(f.code)),
                        reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                    });
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    return Err(Closed {
                        code: None,
                        reason: String::new(),
                    });
                }
            }
        }
    }

    /// The next frame that is not a heartbeat.
    pub async fn next(&mut self) -> Value {
        loop {
            let frame = self.next_frame().await.expect("the connection stays open");
            if frame["event"] != "heartbeat" {
                return frame;
            }
        }
    }

    /// Reads until the server closes the connection, returning how.
    pub async fn closed(&mut self) -> Closed {
        loop {
            if let Err(closed) = self.next_frame().await {
                return closed;
            }
        }
    }

    pub async fn send_json(&mut self, value: &Value) {
        self.send_text(&value.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(Message::text(text))
            .await
            .expect("send a frame");
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.stream
            .send(Message::binary(bytes))
            .await
            .expect("send a frame");
    }

    /// Sends a ping and returns every non-heartbeat frame received before its pong: proof of
    /// what was delivered up to now, since the server answers in order.
    pub async fn frames_until_pong(&mut self) -> Vec<Value> {
        self.send_json(&serde_json::json!({"type": "ping"})).await;
        let mut before = Vec::new();
        loop {
            let frame = self.next().await;
            if frame["type"] == "pong" {
                return before;
            }
            before.push(frame);
        }
    }

    /// Starts a normal close; the server's answer is read with [`WsClient::closed`].
    pub async fn send_close(&mut self) {
        use tokio_tungstenite::tungstenite::protocol::CloseFrame;
        use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
        let frame = CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        };
        self.stream
            .send(Message::Close(Some(frame)))
            .await
            .expect("send a close frame");
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}
