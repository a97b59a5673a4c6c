/**
 * Limits that keep a hostile archive (zip bomb, entry flood) from filling the disk.
 * The defaults admit a 12 GB SDXL base+refiner archive with a wide margin.
 */
export interface ArchiveLimits {
  /** Total uncompressed bytes of one model (outer archive plus nested zips). Default 64 GiB. */
  maxTotalBytes?: number;
  /** Total number of entries (files and directories, outer plus nested). Default 100000. */
  maxEntries?: number;
  /**
   * Highest uncompressed/compressed ratio of one zip entry (or of a whole tar.gz stream).
   * Checked for entries of at least `ratioMinBytes` uncompressed bytes. Default 200.
   */
  maxCompressionRatio?: number;
}

export type ResolvedArchiveLimits = Required<ArchiveLimits> & {
  /** Entries smaller than this are not ratio-checked (tiny files compress absurdly well). */
  ratioMinBytes: number;
};

export const DEFAULT_ARCHIVE_LIMITS: Readonly<ResolvedArchiveLimits> = Object.freeze({
  maxTotalBytes: 64 * 1024 ** 3,
  maxEntries: 100_000,
  maxCompressionRatio: 200,
  ratioMinBytes: 1024 * 1024,
});

export function resolveLimits(limits: ArchiveLimits | undefined): ResolvedArchiveLimits {
  const out: ResolvedArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS };
  for (const key of ['maxTotalBytes', 'maxEntries', 'maxCompressionRatio'] as const) {
    const value = limits?.[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0)) throw new RangeError(`archive limit ${key} must be a positive number, got ${String(value)}`);
    out[key] = value;
  }
  return out;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
