/** TorchServe config snapshots (spec §4.5): serializer, writer, management observer. Reading is config/'s. */
export { escapeProperty, javaDateString, storeProperties, type StoreOptions } from './properties-store.js';
export {
  modelSnapshotJson,
  serializeSnapshot,
  snapshotFileName,
  SNAPSHOT_FILE,
  type SnapshotContent,
  type SnapshotKind,
  type SnapshotModelState,
} from './serialize-snapshot.js';
export { collectModels, downloadedFileName, type CollectOptions } from './collect-models.js';
export { SnapshotWriter, DEFAULT_SNAPSHOTS_KEPT, type SnapshotWriterOptions, type SnapshotLogger } from './snapshot-writer.js';
export { observeManagement } from './observe-management.js';
export { restoreDefaultVersions } from './restore-defaults.js';
