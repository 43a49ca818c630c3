// The baselines of the reconnect-storm benchmark: a finished task's events
// replayed from the start by a raw `node:http` server, no framework, no store.
//
//   node raw-replay-server.mjs memory <events.ndjson>
//     encodes the frames once at start and writes that one Buffer to every
//     client (the best simple version: no per-request work at all)
//   node raw-replay-server.mjs reread <events.ndjson>
//     reads the file, parses and encodes every event again for each request
//     (what a server without a cache does)
//
//   GET /events   headers, a comment and `retry:`, every frame, then the end
//
// The file holds one event ({ id, type, data }) per line. Prints its port on
// stdout, listens on 127.0.0.1 only.
import fs from "node:fs";
import http from "node:http";

const [mode, file] = process.argv.slice(2);
if ((mode !== "memory" && mode !== "reread") || !file) {
  process.stderr.write("usage: raw-replay-server.mjs memory|reread <events.ndjson>\n");
  process.exit(2);
}

function encode(text) {
  let frames = "";
  for (const line of text.split("\n")) {
    if (!line) continue;
    const event = JSON.parse(line);
    frames += `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
  }
  return Buffer.from(frames, "utf8");
}

const encodedOnce = mode === "memory" ? encode(fs.readFileSync(file, "utf8")) : null;
const PREFIX = Buffer.from(": raw\n\nretry: 2000\n\n");

const server = http.createServer((request, response) => {
  if (request.method !== "GET" || request.url !== "/events") {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
  });
  response.write(PREFIX);
  if (encodedOnce) {
    response.end(encodedOnce);
    return;
  }
  fs.readFile(file, "utf8", (error, text) => {
    if (error) {
      // The bench reads the status line only: a failed read ends the stream short, which it reports.
      process.stderr.write(`raw replay: ${error.message}\n`);
      response.end();
      return;
    }
    response.end(encode(text));
  });
});

// The same accept queue as Node's default for both baselines and Fathom's
// server (511), so no contender is favoured by a longer one.
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
