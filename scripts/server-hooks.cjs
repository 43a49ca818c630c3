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
// 3. Answer a path that is not valid percent-encoding (`/api/tasks/%zz`)
//    with a 400: Next.js cannot decode it and would answer a plain-text 500.
"use strict";
const { randomBytes } = require("node:crypto");
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
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Request-ID: ${requestId()}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A request id like the app's (16 URL-safe characters). */
function requestId() {
  return randomBytes(12).toString("base64url");
}

/** True when the URL's path is not valid percent-encoding (a lone `%`, `%zz`, a cut UTF-8 sequence). */
function isMalformedPath(url) {
  const path = (url ?? "/").split("?")[0];
  try {
    decodeURIComponent(path);
    return false;
  } catch (error) {
    // URIError is the only thing decodeURIComponent throws: the answer is the 400 below.
    return error instanceof URIError;
  }
}

function answerMalformedPath(request, response) {
  const message =
    "The request path is not valid percent-encoding: each % must start a %XX escape of UTF-8 bytes.";
  const api = (request.url ?? "").startsWith("/api/");
  const body = api ? JSON.stringify({ error: { code: "invalid_request", message } }) : `${message}\n`;
  response.writeHead(400, {
    "Content-Type": api ? "application/json" : "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Request-ID": requestId(),
  });
  response.end(request.method === "HEAD" ? undefined : body);
}

const createServer = http.createServer;
http.createServer = function createFathomServer(...args) {
  const index = args.findIndex((arg) => typeof arg === "function");
  if (index >= 0) {
    const listener = args[index];
    args[index] = function fathomRequest(request, response) {
      if (isMalformedPath(request.url)) {
        answerMalformedPath(request, response);
        return;
      }
      return listener.call(this, request, response);
    };
  }
  const server = createServer.apply(this, args);
  server.prependListener("request", (request) => {
    request.headers[PEER_HEADER] = request.socket.remoteAddress ?? "unknown";
  });
  server.on("clientError", answerClientError);
  return server;
};
