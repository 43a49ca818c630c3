import { MemoryTaskStore, MemoryVolume } from "./memory-store";
import { describeScheduleStoreContract } from "./schedules/contract";

describeScheduleStoreContract("memory", () => {
  const volumes = new Map<string, MemoryVolume>();
  const volumeOf = (shared: string) => {
    let volume = volumes.get(shared);
    if (!volume) {
      volume = new MemoryVolume();
      volumes.set(shared, volume);
    }
    return volume;
  };
  return {
    async create(shared) {
      return new MemoryTaskStore({ volume: volumeOf(shared), leaseTtlMs: 1000 });
    },
    async footprint(shared) {
      const data = volumeOf(shared).schedules;
      const entries: string[] = [];
      for (const [id, stored] of data.schedules) {
        entries.push(`${id} ${stored.record}`);
        for (const [fire, owner] of stored.fires) entries.push(`${id}/fire/${fire} ${owner}`);
        for (const [fire, run] of stored.runs) entries.push(`${id}/run/${fire} ${run}`);
      }
      for (const [id, stored] of data.deliveries) entries.push(`delivery/${id} ${JSON.stringify(stored)}`);
      for (const [taskId, runs] of data.subscriptions) {
        for (const [run, urls] of runs)
          for (const url of urls) entries.push(`subscription/${taskId}/${run} ${url}`);
      }
      return entries.sort();
    },
  };
});
