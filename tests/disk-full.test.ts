import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../lib/config";
import { silentLogger } from "../lib/log";
import type { ResearchContext, ResearchEngine } from "../lib/research/types";
import { FileTaskStore } from "../lib/store/file/file-store";
import { TaskManager } from "../lib/tasks/task-manager";
import { tempDir, waitFor } from "./support/server-free";

/**
 * A full disk while a task appends (ENOSPC): the task fails with a clear
 * error and what was written stays readable. Needs a tiny tmpfs, which takes
 * root; elsewhere the suite skips (and CI, which runs as root, fails instead).
 */
const mountPoint = tempDir("fathom-full-");
let mounted = false;
try {
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=600k", "tmpfs", mountPoint], { stdio: "ignore" });
  mounted = true;
} catch {
  if (process.env.CI === "true")
    throw new Error("CI must be able to mount a tmpfs for the disk-full test (run as root).");
  console.warn("disk-full test skipped: mounting a tmpfs needs root");
}

class VerboseEngine implements ResearchEngine {
  async run(context: ResearchContext) {
    let report = "";
    for (let index = 0; index < 200; index++) {
      const text = `Paragraph ${index}: ${"lorem ipsum dolor sit amet ".repeat(80)}\n\n`;
      report += text;
      await context.output(text);
    }
    return { report, sources: [], learnings: [] };
  }
}

describe.skipIf(!mounted)("a full disk", () => {
  let manager: TaskManager;
  let store: FileTaskStore;

  beforeAll(() => {
    const root = path.join(mountPoint, "tasks");
    const config = parseConfig({ TASK_STORAGE_DIR: root, TAKEOVER_SCAN_MS: "50", STEP_MAX_RETRIES: "0" });
    store = new FileTaskStore({ root, leaseTtlMs: config.LEASE_TTL_MS, pollMs: 50 });
    manager = new TaskManager({ config, store, engine: new VerboseEngine(), logger: silentLogger });
    manager.start();
  });
  afterAll(async () => {
    await manager?.shutdown();
    if (mounted) execFileSync("umount", [mountPoint]);
    fs.rmSync(mountPoint, { recursive: true, force: true });
  });

  it("fails the task with a clear error and keeps what was written readable", async () => {
    const { task } = await manager.submit({ query: "fill the disk" }, "r");
    const failed = await waitFor("the task to fail", async () => {
      const current = await store.getTask(task.id);
      return current?.status === "failed" ? current : null;
    });
    expect(failed.error?.message).toMatch(/disk is full/);
    const { events } = await store.read(task.id, 0, 100_000);
    expect(events.length).toBeGreaterThan(5);
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    const written = events.filter((event) => event.type === "output").length;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(200);
  });
});
