/**
 * A `ManagementApi` decorator that calls `onChange` after every successful state change
 * (register, scale, unregister, set-default), so snapshots are written without snapshot code
 * in the serving core. Reads (describe, list) pass through. A failed call does not notify.
 *
 * register/scale/unregister wait for `onChange` before answering, so a client that got its
 * reply finds the snapshot on disk; set-default is synchronous in the facade, so its
 * notification runs in the background. `onChange` must not reject (SnapshotWriter does not).
 */
import type { ManagementApi } from '../management/management-api.js';

export function observeManagement(api: ManagementApi, onChange: () => Promise<unknown>): ManagementApi {
  return {
    async register(params) {
      const reply = await api.register(params);
      await onChange();
      return reply;
    },
    async scale(model, version, params) {
      const reply = await api.scale(model, version, params);
      await onChange();
      return reply;
    },
    describe: (model, version, customized) => api.describe(model, version, customized),
    list: (limit, nextPageToken) => api.list(limit, nextPageToken),
    async unregister(model, version) {
      const reply = await api.unregister(model, version);
      await onChange();
      return reply;
    },
    setDefault(model, version) {
      const reply = api.setDefault(model, version);
      void onChange();
      return reply;
    },
  };
}
