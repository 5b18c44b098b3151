// App-wide UI state: the current view, the open dialog, toasts, and a
// revision counter that views watch to reload after a change.

import type { Role } from './types';

export type View =
  | 'certificates'
  | 'authorities'
  | 'rotation'
  | 'timeline'
  | 'audit'
  | 'topology'
  | 'trust'
  | 'gateway'
  | 'exchanges'
  | 'traffic'
  | 'exchange'
  | 'detail';

export type DialogRequest =
  | { kind: 'create-authority'; parent: string | null }
  | { kind: 'issue'; role: Role | null; authority: string | null }
  | { kind: 'import' }
  | { kind: 'export'; name: string }
  | { kind: 'rotate'; names: string[] }
  | { kind: 'revoke'; name: string }
  | { kind: 'crl'; name: string }
  | { kind: 'add-destination' }
  | { kind: 'add-intermediary' }
  | { kind: 'set-route'; destination: string; route: string[] }
  | { kind: 'demo' }
  | { kind: 'trust-add'; destination: string; mode: 'anchor' | 'pin' | 'deny' }
  | { kind: 'trust-remove'; destination: string; entry: string; label: string }
  | { kind: 'trust-revert'; destination: string; version: number; current: number }
  | { kind: 'trust-export'; destination: string }
  | { kind: 'trust-import'; destination: string }
  | { kind: 'run-scenario' }
  | { kind: 'clear-exchanges'; count: number }
  | { kind: 'export-har'; exchangeIds: string[]; label: string }
  | { kind: 'curl'; exchangeId: string };

export interface Toast {
  id: number;
  text: string;
  kind: 'success' | 'error';
}

class UiState {
  view = $state<View>('certificates');
  /** The credential the detail view shows. */
  detailName = $state<string | null>(null);
  /** View that "back" returns to from the detail view. */
  previousView = $state<View>('certificates');
  /** The exchange the exchange view shows. */
  exchangeId = $state<string | null>(null);
  /** View that "back" returns to from the exchange view. */
  exchangeBackView = $state<View>('exchanges');
  /** The destination whose trust list the trust view shows. */
  trustDestination = $state<string | null>(null);
  dialog = $state<DialogRequest | null>(null);
  toasts = $state<Toast[]>([]);
  /** Incremented after every change to the workspace; views reload on it. */
  revision = $state(0);
  private nextToastId = 1;

  show(view: View) {
    this.view = view;
  }

  openDetail(name: string) {
    if (this.view !== 'detail') this.previousView = this.view;
    this.detailName = name;
    this.view = 'detail';
  }

  openExchange(exchangeId: string) {
    if (this.view !== 'exchange') this.exchangeBackView = this.view;
    this.exchangeId = exchangeId;
    this.view = 'exchange';
  }

  openTrust(destination: string) {
    this.trustDestination = destination;
    this.view = 'trust';
  }

  back() {
    this.view = this.view === 'exchange' ? this.exchangeBackView : this.previousView;
  }

  open(dialog: DialogRequest) {
    this.dialog = dialog;
  }

  closeDialog() {
    this.dialog = null;
  }

  changed() {
    this.revision += 1;
  }

  toast(text: string, kind: Toast['kind'] = 'success') {
    const id = this.nextToastId++;
    this.toasts.push({ id, text, kind });
    setTimeout(() => this.dismiss(id), kind === 'error' ? 10_000 : 4_000);
  }

  dismiss(id: number) {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }
}

export const ui = new UiState();
