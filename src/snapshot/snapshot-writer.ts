/**
 * Writes TorchServe config snapshots (spec §4.5) into `<LOG_LOCATION>/config/`:
 *
 *   start()    `<yyyyMMddHHmmssSSS>-startup.cfg`, after the start-up models are loaded;
 *   changed()  `-snapshot.cfg`, after each successful register/scale/unregister/set-default;
 *   close()    `-shutdown.cfg`, once, when the server stops (nothing if start() never ran).
 *
 * Writes run one at a time, in call order, each reading the models when it runs. A file is
 * written to a temporary name in the same directory, flushed, then renamed, so a reader (the
 * next start, `loadConfig`) never sees half a snapshot. File names strictly increase even
 * within one millisecond. Only the newest `keep` snapshot files stay. A failed write is
 * logged, never thrown: the API call that caused it has already succeeded.
 *
 * With `--ncs` main.ts builds no writer at all.
 */
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ManagementApi } from '../management/management-api.js';
import { collectModels } from './collect-models.js';
import { serializeSnapshot, SNAPSHOT_FILE, snapshotFileName, type SnapshotKind } from './serialize-snapshot.js';
import { errorMessage } from '../util/error-message.js';

export interface SnapshotLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface SnapshotWriterOptions {
  /** Directory for the files, normally `<LOG_LOCATION>/config` (created when missing). */
  dir: string;
  /** Current properties (ServerConfig.properties); `model_snapshot` is replaced. */
  properties: ReadonlyMap<string, string>;
  /** Where the models are read from. */
  management: Pick<ManagementApi, 'list' | 'describe'>;
  /** model_store, for `marName` checks; undefined: no model can be recorded. */
  modelStore: string | undefined;
  /** How many snapshot files to keep (default 20, at least 1). */
  keep?: number;
  now?: () => Date;
  log: SnapshotLogger;
}

export const DEFAULT_SNAPSHOTS_KEPT = 20;

export class SnapshotWriter {
  private readonly o: SnapshotWriterOptions;
  private readonly keep: number;
  private chain: Promise<unknown> = Promise.resolve();
  private lastMs = 0;
  private started = false;
  private closed = false;
  private readonly warned = new Set<string>();

  constructor(options: SnapshotWriterOptions) {
    this.o = options;
    this.keep = Math.max(1, options.keep ?? DEFAULT_SNAPSHOTS_KEPT);
  }

  /** Writes the start-up snapshot; resolves to its path (undefined when writing failed). */
  start(): Promise<string | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    this.started = true;
    return this.enqueue('startup');
  }

  /** Writes a `-snapshot.cfg` after a state change (no-op before start() or after close()). */
  changed(): Promise<string | undefined> {
    if (!this.started || this.closed) return Promise.resolve(undefined);
    return this.enqueue('snapshot');
  }

  /** Waits for pending writes, then writes the shutdown snapshot (once). */
  async close(): Promise<string | undefined> {
    if (this.closed) return undefined;
    this.closed = true;
    if (!this.started) {
      await this.chain;
      return undefined;
    }
    return this.enqueue('shutdown');
  }

  private enqueue(kind: SnapshotKind): Promise<string | undefined> {
    const next = this.chain.then(() => this.write(kind));
    this.chain = next;
    return next;
  }

  private async write(kind: SnapshotKind): Promise<string | undefined> {
    try {
      const date = this.nextDate();
      const fileName = snapshotFileName(kind, date);
      const models = await collectModels(this.o.management, {
        inStore: (name) => this.inStore(name),
        warn: (message) => this.warnOnce(message),
      });
      const text = serializeSnapshot({ properties: this.o.properties, models, fileName, date });
      await mkdir(this.o.dir, { recursive: true });
      const path = join(this.o.dir, fileName);
      await writeAtomically(path, text);
      this.o.log.info(`config snapshot written: ${path} (${models.length} model version(s))`);
      await this.prune();
      return path;
    } catch (err) {
      this.o.log.warn(`config snapshot (${kind}) not written: ${errorMessage(err)}`);
      return undefined;
    }
  }

  /** Now, or 1 ms after the previous snapshot, so names never collide or go backwards. */
  private nextDate(): Date {
    const ms = Math.max((this.o.now ?? (() => new Date()))().getTime(), this.lastMs + 1);
    this.lastMs = ms;
    return new Date(ms);
  }

  private async inStore(name: string): Promise<boolean> {
    if (this.o.modelStore === undefined || name === '' || name.includes('..')) return false;
    return stat(join(this.o.modelStore, name)).then(
      () => true,
      () => false,
    );
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.o.log.warn(message);
  }

  /** Deletes all but the newest `keep` snapshot files (other files are left alone). */
  private async prune(): Promise<void> {
    const names = (await readdir(this.o.dir)).filter((n) => SNAPSHOT_FILE.test(n)).sort();
    for (const name of names.slice(0, Math.max(0, names.length - this.keep))) {
      await rm(join(this.o.dir, name), { force: true });
    }
  }
}

/** Temp file beside `path` (its name never matches a snapshot name), flushed, then renamed. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${process.pid}-${Date.now()}.tmp`);
  const file = await open(tmp, 'w');
  try {
    await file.writeFile(text, 'latin1');
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
