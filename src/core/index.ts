export { createServingCore, type CoreLogger, type ServingCore, type ServingCoreOptions, type StartupModels } from './create-serving-core.js';
