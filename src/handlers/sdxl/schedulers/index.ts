/** Builds a scheduler by name from a parsed scheduler_config.json. */

import { DdimScheduler } from './ddim.js';
import { EulerAncestralDiscreteScheduler } from './euler-ancestral.js';
import { EulerDiscreteScheduler } from './euler.js';
import type { Scheduler, SchedulerName } from './scheduler.js';
import type { SchedulerConfig } from './schedule-tables.js';

export { SCHEDULER_NAMES, type Scheduler, type SchedulerName } from './scheduler.js';
export * from './schedule-tables.js';

export function createScheduler(name: SchedulerName, cfg: SchedulerConfig, steps: number): Scheduler {
  switch (name) {
    case 'euler':
      return new EulerDiscreteScheduler(cfg, steps);
    case 'euler_ancestral':
      return new EulerAncestralDiscreteScheduler(cfg, steps);
    case 'ddim':
      return new DdimScheduler(cfg, steps);
  }
}
