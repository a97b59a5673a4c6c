export { extractModelArchive, type ExtractModelOptions, type ExtractedModel, type ExtractStats } from './extract.js';
export { DEFAULT_NESTED, type NestedExtractStats } from './nested.js';
export { DEFAULT_ARCHIVE_LIMITS, formatBytes, type ArchiveLimits } from './limits.js';
export {
  buildManifest,
  emptyManifest,
  formatCreatedOn,
  manifestJson,
  MANIFEST_PATH,
  MODEL_NAME_PATTERN,
  parseManifest,
  RUNTIMES,
  validateManifest,
  type BuildManifestInput,
} from './manifest.js';
export { MODEL_CONFIG_KEYS, parseModelConfig } from './model-config.js';
