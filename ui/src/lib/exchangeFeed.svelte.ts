// The live exchange list shared by the exchange screens: every stored
// exchange, newest first, refreshed on the `exchanges-recorded` event (or
// every 2 seconds without events) while not paused, with verdicts fetched
// for the rows in view.

import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { api, errorMessage } from './api';
import { applyVerdicts, decodeRow, mergeRows, refreshAfter } from './exchanges';
import type { ExchangeRow } from './exchangeTypes';

/** Verdicts asked for per call; more rows than a screen shows. */
const VERDICT_BATCH = 100;
/**
 * Without events for this long, the list reads new rows itself: a gateway
 * that another process runs (`hopscope gateway run`) sends the app no events.
 */
const POLL_MS = 2000;

class ExchangeFeed {
  /** Every exchange the list knows, newest first. Replaced, never mutated in length. */
  rows = $state.raw<ExchangeRow[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  paused = $state(false);
  /** Events that arrived while paused. */
  missed = $state(0);
  /** Incremented when verdicts change inside rows, so cells re-render. */
  version = $state(0);
  /** Time the last refresh took, for the hint line. */
  lastRefreshMs = $state(0);

  private unlisten: UnlistenFn | null = null;
  private lastEvent = 0;
  private refreshing = false;
  private refreshAgain = false;
  private judging = new Set<number>();

  /** Loads every row and starts listening for new records. Idempotent. */
  async start() {
    if (!this.unlisten) {
      this.unlisten = await listen<number>('exchanges-recorded', () => {
        this.lastEvent = Date.now();
        if (this.paused) {
          this.missed += 1;
        } else {
          void this.refresh();
        }
      });
    }
    if (!this.loaded) {
      setInterval(() => {
        if (!this.paused && Date.now() - this.lastEvent > POLL_MS && document.visibilityState === 'visible') void this.refresh();
      }, POLL_MS);
      await this.reload();
    }
  }

  /** Reads every row again, as after clearing or at start. */
  async reload() {
    try {
      const started = performance.now();
      this.rows = (await api.exchangeRows(0)).map(decodeRow);
      this.lastRefreshMs = performance.now() - started;
      this.error = null;
    } catch (caught) {
      this.error = errorMessage(caught);
    } finally {
      this.loaded = true;
    }
  }

  /** Reads the new rows and the newest ones again. Coalesces calls that
   * arrive while one runs into one more refresh. */
  async refresh() {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        const after = refreshAfter(this.rows);
        const started = performance.now();
        const fetched = (await api.exchangeRows(after)).map(decodeRow);
        this.rows = mergeRows(this.rows, fetched, after);
        this.lastRefreshMs = performance.now() - started;
        this.error = null;
      } while (this.refreshAgain);
    } catch (caught) {
      this.error = errorMessage(caught);
    } finally {
      this.refreshing = false;
    }
  }

  pause() {
    this.paused = true;
    this.missed = 0;
  }

  resume() {
    this.paused = false;
    this.missed = 0;
    void this.refresh();
  }

  /** Fetches the verdicts of the given rows that have none yet. */
  async judgeVisible(rows: ExchangeRow[]) {
    const ids = rows
      .filter((row) => row.verdict.state === 'unjudged' && !this.judging.has(row.id))
      .slice(0, VERDICT_BATCH)
      .map((row) => row.id);
    if (ids.length === 0) return;
    ids.forEach((id) => this.judging.add(id));
    try {
      const verdicts = await api.exchangeVerdicts(ids);
      if (applyVerdicts(this.rows, verdicts) > 0) this.version += 1;
    } catch (caught) {
      this.error = errorMessage(caught);
    } finally {
      ids.forEach((id) => this.judging.delete(id));
    }
  }

  /** Judges up to `limit` exchanges without a verdict; returns how many remain. */
  async judgeBatch(limit: number): Promise<number> {
    const progress = await api.judgeExchanges(limit);
    if (applyVerdicts(this.rows, progress.verdicts) > 0) this.version += 1;
    return progress.remaining;
  }
}

export const feed = new ExchangeFeed();
