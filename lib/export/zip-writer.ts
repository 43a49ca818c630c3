import { crc32, deflateRawSync } from "node:zlib";

/** One file of an archive. */
export interface ZipEntryInput {
  /** The path inside the archive, `/`-separated. */
  name: string;
  data: Uint8Array | string;
}

/**
 * A ZIP archive (deflated entries, UTF-8 names), byte for byte the same for
 * the same files: every entry is dated 1980-01-01 00:00. For documents made
 * in memory (a Word file is a few parts of XML), so no ZIP64: an entry or an
 * archive of 4 GiB or more is refused.
 */
export function writeZip(files: readonly ZipEntryInput[]): Uint8Array<ArrayBuffer> {
  const parts: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, "utf8");
    const data = typeof file.data === "string" ? Buffer.from(file.data, "utf8") : Buffer.from(file.data);
    const compressed = deflateRawSync(data, { level: 9 });
    if (data.length >= 0xffffffff || offset + compressed.length >= 0xffffffff)
      throw new RangeError(`${file.name}: a ZIP without ZIP64 holds less than 4 GiB`);
    const crc = crc32(data);
    const header = (size: number, signature: number) => {
      const buffer = Buffer.alloc(size);
      buffer.writeUInt32LE(signature, 0);
      return buffer;
    };

    const local = header(30, 0x04034b50);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10); // time 00:00
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, compressed);

    const central = header(46, 0x02014b50);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, directory, end]));
}
