import { describeCollectionStoreContract } from "./collections/contract";
import { MemoryTaskStore, MemoryVolume } from "./memory-store";

describeCollectionStoreContract("memory", () => {
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
      const entries: string[] = [];
      for (const [name, stored] of volumeOf(shared).collections) {
        entries.push(`${name} ${stored.collection}`);
        for (const [id, document] of stored.documents) {
          entries.push(`${name}/${id} ${document.document} ${document.original.byteLength} ${document.text}`);
        }
        for (const id of stored.ready) entries.push(`${name}/ready/${id}`);
      }
      return entries.sort();
    },
  };
});
