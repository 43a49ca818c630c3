// Loaded before the Next.js standalone server (`npm start`, and `node
// --require ./server-hooks.cjs server.js` in the image). Two things a route
// handler cannot do for itself:
//
// 1. Tell who is connected. Route handlers see headers, not sockets, and
//    Next.js passes a client's own X-Forwarded-For through untouched; so each
//    request is stamped with the socket's address in `x-fathom-peer`,
//    overwriting whatever the client sent under that name.
// 2. Answer a request Node's HTTP parser refuses (headers too large, a
//    malformed request line) with the JSON error shape rather than an empty
//    body: such requests never reach Next.js.
"use strict";
const http = require("node:http");

// Read by app/_lib/client-address.ts (PEER_HEADER there): the two names must match.
const PEER_HEADER = "x-fathom-peer";

const clientErrors = {
  HPE_HEADER_OVERFLOW: [431, "request_header_fields_too_large", "The request headers are too large."],
  HPE_URI_TOO_LONG: [414, "uri_too_long", "The request URL is too long."],
};

function answerClientError(error, socket) {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] = clientErrors[error.code] ?? [
    400,
    "invalid_request",
    "The request is malformed.",
  ];
  const body = JSON.stringify({ error: { code, message } });
  const reason = http.STATUS_CODES[status] ?? "Error";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

const createServer = http.createServer;
http.createServer = function createFathomServer(...args) {
  const server = createServer.apply(this, args);
  server.prependListener("request", (request) => {
    request.headers[PEER_HEADER] = request.socket.remoteAddress ?? "unknown";
  });
  server.on("clientError", answerClientError);
  return server;
};
