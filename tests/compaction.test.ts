import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server";
import { getJson, outputText, readSse, waitFor } from "./support/sse";

/** MAX_RUNS_KEPT against the real server: `fresh: true` in a loop keeps one task bounded. */
describe("compaction of old runs", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      env: { MAX_RUNS_KEPT: "2", OUTPUT_CHUNK_DELAY_MS: "0", RATE_LIMIT_TASKS_PER_MINUTE: "0" },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("12 fresh runs: files and bytes bounded, an old cursor gets 410, a new stream is whole", async () => {
    const body = { query: "Compaction: the Homestead Act", depth: 1, breadth: 1 };
    const post = (fresh: boolean) =>
      getJson(`${server.url}/api/research`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(fresh ? { ...body, fresh } : body),
      });
    const id: string = (await post(false)).body.taskId;
    const taskUrl = `${server.url}/api/tasks/${id}`;
    const completed = (run: number) =>
      waitFor(
        `run ${run} to complete`,
        async () => {
          const { body: task } = await getJson(taskUrl);
          return task.status === "completed" && task.run === run ? task : null;
        },
        60_000,
      );
    let task = await completed(1);
    const firstRunLast: number = task.lastEventId;
    const folder = path.join(server.dataDir, "tasks", id);
    const usage = () => {
      const names = fs.readdirSync(folder);
      return {
        files: names.length,
        bytes: names.reduce((sum, name) => sum + fs.statSync(path.join(folder, name)).size, 0),
      };
    };
    const seen: { files: number; bytes: number }[] = [];
    for (let run = 2; run <= 12; run++) {
      // The previous runner may still hold the lease for a moment: ask until the new run starts.
      await waitFor(
        `run ${run} to start`,
        async () => ((await post(true)).body.run ?? (await getJson(taskUrl)).body.run) >= run,
        30_000,
      );
      task = await completed(run);
      seen.push(usage());
    }
    console.log(
      `task folder after runs 2–12: ${seen.map((entry) => `${entry.files} files/${entry.bytes} B`).join(", ")}`,
    );
    const early = seen.slice(0, 3);
    const late = seen.slice(-3);
    expect(Math.max(...late.map((entry) => entry.files))).toBeLessThanOrEqual(
      Math.max(...early.map((entry) => entry.files)) + 1,
    );
    expect(Math.max(...late.map((entry) => entry.bytes))).toBeLessThan(
      2 * Math.max(...early.map((entry) => entry.bytes)),
    );
    expect(task.compacted.runs).toBe(10);

    const old = await fetch(`${taskUrl}/events`, { headers: { "Last-Event-ID": String(firstRunLast) } });
    expect(old.status).toBe(410);
    const refused = await old.json();
    expect(refused.error.code).toBe("gone");
    expect(refused.error.message).toMatch(/compacted/);

    const stream = await readSse(`${taskUrl}/events`);
    expect(stream.status).toBe(200);
    const ids = stream.numbered.map((event) => event.id);
    expect(ids[0]).toBe(task.runStartEventId);
    expect(ids).toEqual(ids.map((_, index) => task.runStartEventId + index));
    expect(ids[0]).toBeGreaterThan(firstRunLast);
    expect(outputText(stream.events)).toBe(task.result.report);
  });
});
