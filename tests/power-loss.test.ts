import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServer, type TestServer, tempDir } from "./support/server";
import { getJson, outputText, readSse, waitFor } from "./support/sse";

/**
 * A power loss against the real server: the owner is killed mid-report, its
 * log is cut back at a random line boundary below the (fsynced) snapshot —
 * what a power loss leaves under DURABILITY=none — and a new server starts on
 * the volume. Seeded: the seed is printed, POWER_LOSS_SEED replays it.
 */
const seed = Number(process.env.POWER_LOSS_SEED ?? Date.now() % 1_000_000);

const env = {
  // Slow enough that the task is still writing its report when the power goes.
  OUTPUT_CHUNK_DELAY_MS: "250",
  LEASE_TTL_MS: "1500",
  LEASE_RENEW_MS: "500",
  TAKEOVER_SCAN_MS: "200",
};

describe("power loss under a snapshot that is ahead of the log", () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  it(`continues from the log; clients behind the cut resume exactly, clients past it get 409 (seed ${seed})`, async () => {
    console.log(`power-loss seed: ${seed} (replay with POWER_LOSS_SEED=${seed})`);
    let state = seed;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const dataDir = tempDir();
    const first = await startServer({ dataDir, env });
    servers.push(first);
    let outputs = 0;
    const stopAfter = 1 + Math.floor(next() * 4);
    const before = await readSse(`${first.url}/api/research`, {
      method: "POST",
      body: { query: `Power loss on the Erie Canal (${seed})`, depth: 1, breadth: 2 },
      until: (event) => {
        if (event.event === "output") outputs += 1;
        return outputs >= stopAfter;
      },
    });
    const id = before.headers.get("x-task-id")!;
    const seen = before.numbered.at(-1)!.id!;
    const statePath = path.join(dataDir, "tasks", `${id}.json`);
    // The runner saves its snapshot at every status change and at progress (at
    // most every 500 ms), not at each output. "Finish now" is such a change: the
    // snapshot is saved with the last event appended, then the power goes.
    const finish = await fetch(`${first.url}/api/tasks/${id}/finish`, { method: "POST" });
    expect(finish.status).toBe(200);
    await waitFor(
      "the snapshot of the finish request",
      async () => {
        const saved = JSON.parse(fs.readFileSync(statePath, "utf8"));
        return saved.finishRequested === true && saved.lastEventId >= seen;
      },
      10_000,
    );
    first.signal("SIGKILL");
    await first.exited;

    const snapshot = JSON.parse(fs.readFileSync(statePath, "utf8")) as {
      lastEventId: number;
      status: string;
    };
    expect(snapshot.status).toBe("running");
    const segment = path.join(dataDir, "tasks", id, "log-1.ndjson");
    const log = fs.readFileSync(segment);
    const lines = log.toString("utf8").split("\n").slice(0, -1);
    // Cut after a random event line below the snapshot's last event.
    const cuts = lines
      .map((line, index) => ({
        index,
        id: line.startsWith('{"id":') ? (JSON.parse(line) as { id: number }).id : 0,
      }))
      .filter((line) => line.id > 0 && line.id < snapshot.lastEventId);
    const cut = cuts[Math.floor(next() * cuts.length)]!;
    const kept = `${lines.slice(0, cut.index + 1).join("\n")}\n`;
    fs.writeFileSync(segment, kept);
    const lastKept = cut.id;

    const second = await startServer({ dataDir, env });
    servers.push(second);
    const taskUrl = `${second.url}/api/tasks/${id}`;
    // biome-ignore lint/suspicious/noExplicitAny: the task's JSON as the API returns it
    const done: any = await waitFor(
      "the task to complete on the new server",
      async () => {
        const { body } = await getJson(taskUrl);
        return body.status === "completed" ? body : null;
      },
      60_000,
    );
    const context = `seed ${seed}: cut after event ${lastKept}, snapshot at ${snapshot.lastEventId}, client saw ${seen}`;
    expect(done.lostEvents, context).toEqual({ after: lastKept, through: snapshot.lastEventId });

    // A new client: the whole run, gap-free, equal to the report.
    const fresh = await readSse(`${taskUrl}/events`);
    const ids = fresh.numbered.map((event) => event.id);
    expect(ids, context).toEqual(ids.map((_, index) => done.runStartEventId + index));
    expect(outputText(fresh.events), context).toBe(done.result.report);

    // The first client, resumed from a cursor the log still holds: no gap, no repeat.
    const cursor = Math.min(seen, lastKept);
    const resumed = await readSse(`${taskUrl}/events`, { headers: { "Last-Event-ID": String(cursor) } });
    const seenThere = outputText(before.events.filter((event) => event.id === null || event.id <= cursor));
    expect(seenThere + outputText(resumed.events), context).toBe(done.result.report);

    // A cursor that named a lost event: a clear 409, never a silent gap.
    for (const lost of [lastKept + 1, snapshot.lastEventId]) {
      const response = await fetch(`${taskUrl}/events`, { headers: { "Last-Event-ID": String(lost) } });
      expect(response.status, context).toBe(409);
      const body = await response.json();
      expect(body.error.code).toBe("conflict");
      expect(body.error.message).toMatch(/lost .* crash/);
    }
  });
});
