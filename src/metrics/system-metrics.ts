/**
 * Host metrics TorchServe's collector reports every `metric_time_interval` seconds (CPU, memory,
 * disk), read in-process: `os.cpus()` deltas, `/proc/meminfo` (`MemAvailable`, falling back to
 * `os.freemem()`), `statfs('/')`. Units as TorchServe: Percent, Megabytes, Gigabytes.
 * GPU metrics are not collected (no NVML binding in-process).
 */
import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';

export interface SystemSample {
  CPUUtilization: number;
  MemoryUsed: number;
  MemoryAvailable: number;
  MemoryUtilization: number;
  DiskUsage: number;
  DiskUtilization: number;
  DiskAvailable: number;
}

export interface CpuTimes {
  idle: number;
  total: number;
}

export function cpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** Busy share between two samples, in percent (0 when no time passed). */
export function cpuPercent(prev: CpuTimes, next: CpuTimes): number {
  const total = next.total - prev.total;
  if (total <= 0) return 0;
  return Math.round((1 - (next.idle - prev.idle) / total) * 1000) / 10;
}

async function memAvailableBytes(): Promise<number> {
  try {
    const text = await readFile('/proc/meminfo', 'utf8');
    const match = /^MemAvailable:\s+(\d+) kB$/m.exec(text);
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return os.freemem();
}

const MB = 1024 * 1024;
const GB = 1024 * MB;
const round1 = (v: number) => Math.round(v * 10) / 10;

/** One sample; `prev` CPU times are those of the previous sample (or of start-up). */
export async function sampleSystem(prev: CpuTimes, now: CpuTimes, diskPath = '/'): Promise<SystemSample> {
  const total = os.totalmem();
  const available = await memAvailableBytes();
  const used = total - available;
  let disk = { used: 0, available: 0 };
  try {
    const s = await statfs(diskPath);
    disk = { used: (s.blocks - s.bfree) * s.bsize, available: s.bavail * s.bsize };
  } catch {
    // statfs unsupported: leave zeros
  }
  const diskTotal = disk.used + disk.available;
  return {
    CPUUtilization: cpuPercent(prev, now),
    MemoryUsed: round1(used / MB),
    MemoryAvailable: round1(available / MB),
    MemoryUtilization: round1((used / total) * 100),
    DiskUsage: round1(disk.used / GB),
    DiskUtilization: diskTotal === 0 ? 0 : round1((disk.used / diskTotal) * 100),
    DiskAvailable: round1(disk.available / GB),
  };
}
