/**
 * Name → versions → entry, plus each name's default version (the first registered version
 * until `setDefault` changes it). The registry only indexes: what an entry holds (settings,
 * queue, pool, …) is the services' business, hence the generic entry type.
 *
 * Errors are TorchServe's: `ModelNotFoundError` ("Model not found: m"),
 * `ModelVersionNotFoundError` ("Model version: v does not exist for model: m"),
 * `ConflictError` on duplicate versions, `ForbiddenError` when removing a default version
 * that still has siblings.
 */
import { ConflictError, ForbiddenError, ModelNotFoundError, ModelVersionNotFoundError } from '../errors/index.js';

export interface RegistryEntry {
  readonly name: string;
  readonly version: string;
}

interface ModelVersions<E> {
  versions: Map<string, E>;
  defaultVersion: string;
}

export class ModelRegistry<E extends RegistryEntry> {
  private readonly models = new Map<string, ModelVersions<E>>();

  /** Adds a version; the first version of a name becomes its default. */
  add(entry: E): void {
    const model = this.models.get(entry.name);
    if (model === undefined) {
      this.models.set(entry.name, { versions: new Map([[entry.version, entry]]), defaultVersion: entry.version });
      return;
    }
    if (model.versions.has(entry.version)) {
      throw new ConflictError(`Model version ${entry.version} is already registered for model ${entry.name}`);
    }
    model.versions.set(entry.version, entry);
  }

  has(name: string, version: string): boolean {
    return this.models.get(name)?.versions.has(version) === true;
  }

  /** The given version, or the default one when `version` is undefined. */
  resolve(name: string, version?: string): E {
    const model = this.models.get(name);
    if (model === undefined) throw new ModelNotFoundError(name);
    const v = version ?? model.defaultVersion;
    const entry = model.versions.get(v);
    if (entry === undefined) throw new ModelVersionNotFoundError(name, v);
    return entry;
  }

  /** Every version of `name`, in registration order. */
  versions(name: string): E[] {
    const model = this.models.get(name);
    if (model === undefined) throw new ModelNotFoundError(name);
    return [...model.versions.values()];
  }

  defaultVersion(name: string): string {
    const model = this.models.get(name);
    if (model === undefined) throw new ModelNotFoundError(name);
    return model.defaultVersion;
  }

  /** Throws when `version` is the default and other versions remain (TorchServe's 403). */
  checkRemovable(name: string, version: string): void {
    const model = this.models.get(name);
    if (model === undefined) throw new ModelNotFoundError(name);
    if (!model.versions.has(version)) throw new ModelVersionNotFoundError(name, version);
    if (version === model.defaultVersion && model.versions.size > 1) {
      throw new ForbiddenError(`Cannot remove default version for model ${name}`);
    }
  }

  remove(name: string, version: string): E {
    this.checkRemovable(name, version);
    const model = this.models.get(name)!;
    const entry = model.versions.get(version)!;
    model.versions.delete(version);
    if (model.versions.size === 0) this.models.delete(name);
    return entry;
  }

  /** Returns false when the version does not exist (callers word that error themselves). */
  setDefault(name: string, version: string): boolean {
    const model = this.models.get(name);
    if (model === undefined) throw new ModelNotFoundError(name);
    if (!model.versions.has(version)) return false;
    model.defaultVersion = version;
    return true;
  }

  /** Model names, sorted. */
  names(): string[] {
    return [...this.models.keys()].sort();
  }

  /** The default-version entry of every model, sorted by name. */
  defaults(): E[] {
    return this.names().map((n) => this.resolve(n));
  }

  /** Every entry of every model. */
  all(): E[] {
    return [...this.models.values()].flatMap((m) => [...m.versions.values()]);
  }
}
