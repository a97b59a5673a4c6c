/** Configuration: `config.properties` + environment + command line → frozen `ServerConfig`. */
export { parseProperties, decodeLatin1 } from './properties.js';
export { KEYS, KEY_BY_NAME, IGNORED_KEYS, type KeySpec, type KeyType, type KeyGroup } from './keys.js';
export { parseAddress, sameListener, formatAddress, type Address, type TcpAddress, type UnixAddress } from './address.js';
export {
  parseModelsProperty,
  parseModelSnapshot,
  type ModelSnapshot,
  type ModelTable,
  type ModelVersionProperties,
  type SnapshotModelVersion,
} from './model-entries.js';
export { substituteEnvRefs, parseLoadModels, type LoadModelEntry } from './values.js';
export { buildServerConfig, type BuildServerConfigInput } from './server-config.js';
export type { CliOverrides, ServerConfig, ServiceEnvelope, MetricsMode } from './server-config-types.js';
export { resolveModelSettings, type ApiModelParams, type ModelSettingsSources } from './model-config.js';
export { loadConfig, type LoadConfigOptions, type LoadedConfig, type ConfigLogger } from './load-config.js';
