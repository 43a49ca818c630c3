// Preloaded into a server (NODE_OPTIONS=--require) by the follower-latency
// benchmark: makes fs.watch throw, as it effectively does on a network
// filesystem (no change events from other hosts), so log followers fall back
// to polling. Prints one marker line the first time it is used.
const fs = require("node:fs");
const { syncBuiltinESMExports } = require("node:module");

let reported = false;
fs.watch = function watch() {
  if (!reported) {
    reported = true;
    process.stderr.write("bench: fs.watch disabled, followers poll\n");
  }
  throw Object.assign(new Error("fs.watch disabled by the benchmark"), { code: "ENOSYS" });
};
syncBuiltinESMExports();
