/**
 * The pid file TorchServe's CLI uses to find a running server: `${tmpdir}/.model_server.pid`.
 * One server per machine user, as with `torchserve`.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function defaultPidFile(): string {
  return join(tmpdir(), '.model_server.pid');
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of a live server recorded in `file`, other than `self`. */
export function runningServer(file: string, self = process.pid): number | undefined {
  const pid = readPid(file);
  return pid !== undefined && pid !== self && isAlive(pid) ? pid : undefined;
}

export function writePid(file: string, pid: number): void {
  writeFileSync(file, `${pid}`);
}

/** Removes the file when it still names `pid` (a newer server may have replaced it). */
export function removePid(file: string, pid: number): void {
  if (readPid(file) === pid) rmSync(file, { force: true });
}
