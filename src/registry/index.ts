export { ModelRegistry, type RegistryEntry } from './model-registry.js';
export { acceptsRequests, canTransition, type ModelState } from './model-state.js';
export type { ModelEntry } from './model-entry.js';
