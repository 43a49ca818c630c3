import { crc32, deflateRawSync } from "node:zlib";

/** One file of a test archive. */
export interface ZipFile {
  name: string;
  data: Uint8Array | string;
  /** Default "deflate". */
  method?: "store" | "deflate";
  /** Overrides the uncompressed size written in both headers (a lying entry). */
  declaredSize?: number;
  /** Sets the "encrypted" flag without encrypting (what the reader looks at). */
  encryptedFlag?: boolean;
  /** Bytes used as the compressed data instead of compressing `data`. */
  rawData?: Uint8Array;
}

/**
 * A ZIP archive, byte for byte the same for the same files: every entry is
 * dated 1980-01-01 00:00. Sizes over 4 GiB are written as ZIP64 extra fields.
 * Test fixtures only.
 */
export function writeZip(files: ZipFile[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, "utf8");
    const data = typeof file.data === "string" ? Buffer.from(file.data, "utf8") : Buffer.from(file.data);
    const method = file.method === "store" ? 0 : 8;
    const compressed = file.rawData
      ? Buffer.from(file.rawData)
      : method === 0
        ? data
        : deflateRawSync(data, { level: 9 });
    const size = file.declaredSize ?? data.length;
    const zip64 = size >= 0xffffffff;
    const extra = zip64 ? zip64Extra(size, compressed.length) : Buffer.alloc(0);
    const flags = 0x800 | (file.encryptedFlag ? 1 : 0);
    const crc = crc32(data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(zip64 ? 45 : 20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10); // time 00:00
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(zip64 ? 0xffffffff : compressed.length, 18);
    local.writeUInt32LE(zip64 ? 0xffffffff : size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    locals.push(local, name, extra, compressed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(zip64 ? 45 : 20, 4);
    central.writeUInt16LE(zip64 ? 45 : 20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(zip64 ? 0xffffffff : compressed.length, 20);
    central.writeUInt32LE(zip64 ? 0xffffffff : size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name, extra);
    offset += local.length + name.length + extra.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

function zip64Extra(size: number, compressedSize: number): Buffer {
  const extra = Buffer.alloc(20);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(16, 2);
  extra.writeBigUInt64LE(BigInt(size), 4);
  extra.writeBigUInt64LE(BigInt(compressedSize), 12);
  return extra;
}
