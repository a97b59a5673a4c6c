/**
 * `nserve --stop`: SIGTERM the recorded server, wait for it to exit, delete `./key_file.json`
 * (relative to the cwd of the stop command, as `torchserve --stop` does) and the pid file.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, readPid } from './pid-file.js';

export interface StopOptions {
  pidFile: string;
  cwd: string;
  out: (line: string) => void;
  /** How long to wait for a clean exit before SIGKILL. */
  timeoutMs?: number;
}

export async function stopServer(options: StopOptions): Promise<number> {
  const pid = readPid(options.pidFile);
  if (pid === undefined || !isAlive(pid)) {
    rmSync(options.pidFile, { force: true });
    options.out('nserve is not currently running.');
    return 0;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(join(options.cwd, 'key_file.json'), { force: true });
  rmSync(options.pidFile, { force: true });
  options.out('nserve has stopped.');
  return 0;
}
