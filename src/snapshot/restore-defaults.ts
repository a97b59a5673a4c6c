/**
 * After start-up restored a `model_snapshot`, makes each model's default version the one the
 * snapshot marks `defaultVersion: true` (start-up registration makes the first loaded version
 * the default, whatever the snapshot says). A version that failed to load is skipped.
 */
import type { ModelSnapshot } from '../config/index.js';
import type { ManagementApi } from '../management/management-api.js';
import { errorMessage } from '../util/error-message.js';

export async function restoreDefaultVersions(
  management: Pick<ManagementApi, 'describe' | 'setDefault'>,
  snapshot: ModelSnapshot,
  log: { warn(message: string): void },
): Promise<void> {
  if (snapshot.modelCount <= 0) return;
  for (const [name, versions] of snapshot.models) {
    const wanted = [...versions].find(([, entry]) => entry.defaultVersion)?.[0];
    if (wanted === undefined) continue;
    try {
      const current = (await management.describe(name, undefined, false))[0]?.modelVersion;
      if (current !== wanted) management.setDefault(name, wanted);
    } catch (err) {
      log.warn(`config snapshot: default version ${wanted} of model ${name} not restored: ${errorMessage(err)}`);
    }
  }
}
