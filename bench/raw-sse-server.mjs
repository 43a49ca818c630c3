// The baseline of the fan-out benchmark: the simplest fast SSE fan-out one
// Node process can do, with no framework, no store and no per-client work.
//
//   GET  /events    subscribes (headers and a first comment flushed at once)
//   POST /publish   batches as NDJSON: one JSON array of events ({ type, data })
//                   per line, published as each line arrives (one request can
//                   stream many batches, so the producer never waits for a
//                   busy server before sending the next, as with Fathom's log)
//
// Published frames are coalesced per tick into one Buffer that every client
// is given (the same object: encoded once, copied by nobody).
// Prints its port on stdout, listens on 127.0.0.1 only.
import http from "node:http";

const clients = new Set();
let nextId = 1;
let pending = "";
let scheduled = false;

function flush() {
  scheduled = false;
  const buffer = Buffer.from(pending, "utf8");
  pending = "";
  for (const client of clients) client.write(buffer);
}

function publish(events) {
  for (const event of events) {
    pending += `id: ${nextId++}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
  }
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

const server = http.createServer((request, response) => {
  if (request.method === "POST" && request.url === "/publish") {
    let rest = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop();
      for (const line of lines) if (line) publish(JSON.parse(line));
    });
    request.on("end", () => {
      if (rest) publish(JSON.parse(rest));
      response.end("ok");
    });
    return;
  }
  if (request.method === "GET" && request.url === "/events") {
    response.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    });
    response.write(": raw\n\nretry: 2000\n\n");
    clients.add(response);
    request.on("close", () => clients.delete(response));
    return;
  }
  response.writeHead(404).end();
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
