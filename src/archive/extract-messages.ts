/** The protocol between `extract.ts` and `extract-worker.ts` (one task per worker thread). */
import type { WireError } from '../errors/wire.js';
import type { ResolvedArchiveLimits } from './limits.js';

export interface ExtractTask {
  format: 'zip' | 'tgz';
  archive: string;
  destDir: string;
  /** How the archive is named in errors and logs. */
  label: string;
  limits: ResolvedArchiveLimits;
  /** tgz only: leading path components to drop. */
  strip?: number;
}

export interface ExtractDone {
  entries: number;
  bytes: number;
  ms: number;
  threadId: number;
  /** `process.resourceUsage().maxRSS` seen from the worker (KiB, whole process). */
  maxRssKiB: number;
}

export type ExtractWorkerMessage =
  | { type: 'progress'; bytes: number; total: number; percent: number }
  | { type: 'done'; done: ExtractDone }
  | { type: 'error'; error: WireError };
