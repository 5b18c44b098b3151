// A scenario run started from the app, shared by the run dialog and the
// exchange list's empty state: whether one runs, and how far it got.

import { api, errorMessage } from './api';
import { feed } from './exchangeFeed.svelte';
import type { ExchangeRun, ExchangeRunRequest } from './exchangeTypes';

class ScenarioRunner {
  running = $state(false);
  /** What runs, in words, such as "default to d-corp". */
  label = $state('');
  /** Newest row id when the run started; newer rows are the run's. */
  private startId = $state(0);
  last = $state<ExchangeRun | null>(null);
  error = $state<string | null>(null);

  /** Exchanges recorded since the run started, as the live list shows them. */
  recorded = $derived(this.running ? feed.rows.filter((row) => row.id > this.startId).length : 0);

  /** Runs a scenario; resolves to the run, or null when it failed (see `error`). */
  async run(request: ExchangeRunRequest): Promise<ExchangeRun | null> {
    if (this.running) return null;
    this.running = true;
    this.error = null;
    this.startId = feed.rows[0]?.id ?? 0;
    this.label = `${request.scenario ?? 'default'}${request.destination ? ` to ${request.destination}` : ''}`;
    try {
      const run = await api.runScenario(request);
      this.last = run;
      await feed.refresh();
      return run;
    } catch (caught) {
      this.error = errorMessage(caught);
      return null;
    } finally {
      this.running = false;
    }
  }
}

export const runner = new ScenarioRunner();

/** Describes a finished run for a toast. */
export function describeRun(run: ExchangeRun): string {
  const passed = run.exchanges.filter((e) => e.verdict?.passed && !e.report.error).length;
  const failed = run.exchanges.length - passed;
  return `${run.scenario} from ${run.originator} to ${run.destination}: ${run.exchanges.length} exchanges, ${passed} passed, ${failed} failed`;
}
