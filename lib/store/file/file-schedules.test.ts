import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeScheduleStoreContract, makeDelivery, makeRun, makeSchedule } from "../schedules/contract";
import { FileTaskStore } from "./file-store";
import {
  fileHarness,
  listing,
  outerFolder as outerFolderIn,
  removeOuterFolders,
} from "./testing/file-harness";

afterAll(removeOuterFolders);

const outerFolder = () => outerFolderIn("fathom-schedules-");

describeScheduleStoreContract("file", () => fileHarness("none", "fathom-schedules-"));
describeScheduleStoreContract("file, DURABILITY=fsync", () => fileHarness("fsync", "fathom-schedules-"));

describe("FileSchedules on disk", () => {
  it("keeps the documented layout", async () => {
    const outer = outerFolder();
    const root = path.join(outer, "data");
    const store = new FileTaskStore({ root, leaseTtlMs: 1000, pollMs: 20 });
    try {
      const schedule = makeSchedule();
      const fire = Date.UTC(2026, 2, 1, 12);
      await store.schedules.createSchedule(schedule);
      expect(await store.schedules.claimFire(schedule.id, fire, "owner-1")).toBe(true);
      await store.schedules.saveRun(makeRun(schedule.id, fire));
      const id = "d".repeat(32);
      const delivery = makeDelivery(id, new Date(fire));
      await store.schedules.createDelivery(delivery);
      const claim = await store.schedules.claimDeliveryAttempt(id, "owner-1", {
        now: new Date(fire),
        leaseMs: 1000,
      });
      await store.schedules.recordDeliveryAttempt(claim!, {
        attempt: { at: new Date(fire).toISOString(), status: 500, error: "HTTP 500" },
        delivered: false,
        nextAttemptAt: new Date(fire + 10_000).toISOString(),
      });
      const names = listing(root)
        .map((line) => line.split(" ")[0]!)
        .filter((name) => name.startsWith("schedules") || name.startsWith("webhooks"));
      expect(names).toEqual(
        [
          "schedules/",
          "schedules/.staging/",
          "schedules/.trash/",
          `schedules/${schedule.id}/`,
          `schedules/${schedule.id}/schedule.json`,
          `schedules/${schedule.id}/fires/`,
          `schedules/${schedule.id}/fires/${fire}`,
          `schedules/${schedule.id}/runs/`,
          `schedules/${schedule.id}/runs/${fire}.json`,
          "webhooks/",
          "webhooks/.pending/",
          `webhooks/.pending/${id}`,
          "webhooks/.tasks/",
          `webhooks/.tasks/${delivery.taskId}/`,
          `webhooks/.tasks/${delivery.taskId}/${id}`,
          "webhooks/.trash/",
          `webhooks/${id}/`,
          `webhooks/${id}/attempt-1.json`,
          `webhooks/${id}/claim-1-1.json`,
          `webhooks/${id}/delivery.json`,
        ].sort(),
      );
      expect(fs.readFileSync(path.join(root, "schedules", schedule.id, "fires", String(fire)), "utf8")).toBe(
        "owner-1",
      );
      // Nothing is left in the staging folder of exclusive creates.
      expect(fs.readdirSync(path.join(root, ".tmp")).filter((name) => name !== "reserve")).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("never writes outside the storage folder, whatever the id", async () => {
    const outer = outerFolder();
    const store = new FileTaskStore({ root: path.join(outer, "data"), leaseTtlMs: 1000, pollMs: 20 });
    try {
      for (const bad of ["../../escape", "/etc/passwd", "..%2f..", "abcdefghij/../../klmn"]) {
        await expect(store.schedules.getSchedule(bad)).rejects.toMatchObject({ code: "invalid_request" });
        await expect(store.schedules.claimFire(bad, 0, "a")).rejects.toMatchObject({
          code: "invalid_request",
        });
        await expect(store.schedules.getDelivery(bad)).rejects.toMatchObject({ code: "invalid_request" });
      }
      expect(fs.readdirSync(outer)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
