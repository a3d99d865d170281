/** Every scenario, in the order BENCH.md lists them. */
import type { Scenario } from '../lib/scenario.ts';
import { failureCost } from './failure-cost.ts';
import { fleet } from './fleet.ts';
import { http } from './http.ts';
import { inline } from './inline.ts';
import { manyServices } from './many-services.ts';
import { metricsScrape } from './metrics-scrape.ts';
import { recovery } from './recovery.ts';
import { reject } from './reject.ts';
import { shapes } from './shapes.ts';
import { telemetry } from './telemetry.ts';
import { undici } from './undici.ts';
import { worker } from './worker.ts';

export const SCENARIOS: readonly Scenario[] = [
  inline,
  shapes,
  reject,
  failureCost,
  worker,
  manyServices,
  recovery,
  http,
  metricsScrape,
  telemetry,
  undici,
  fleet,
];
