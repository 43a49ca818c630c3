import { describeTaskStoreContract, type StoreHarness } from "./contract";
import { MemoryTaskStore, MemoryVolume } from "./memory-store";

function memoryHarness(): StoreHarness {
  let clock = 0;
  const volumes = new Map<string, MemoryVolume>();
  return {
    async create({ leaseTtlMs, shared }) {
      let volume = volumes.get(shared);
      if (!volume) {
        volume = new MemoryVolume();
        volumes.set(shared, volume);
      }
      return new MemoryTaskStore({ volume, leaseTtlMs, now: () => clock });
    },
    async advance(ms) {
      clock += ms;
    },
    async damageSnapshot(shared, taskId) {
      const task = volumes.get(shared)?.tasks.get(taskId);
      if (task) task.snapshot = '{"version":1,"id":"';
    },
  };
}

describeTaskStoreContract("memory", memoryHarness);
