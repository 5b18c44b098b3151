// Pure helpers of the traffic screen: where each node of the live topology
// goes, and the uPlot data of the per-hop figures.

import type { HopFigures, LiveEdge, LiveNode, NodeCertificateStatus } from './exchangeTypes';

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 104;
const COLUMN_GAP = 70;
const ROW_GAP = 22;
const MARGIN = 16;

export interface PlacedNode {
  node: LiveNode;
  x: number;
  y: number;
  column: number;
}

export interface PlacedEdge {
  edge: LiveEdge;
  /** SVG path from the right side of `from` to the left side of `to`. */
  path: string;
  labelX: number;
  labelY: number;
}

export interface TopologyLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

/**
 * Places clients in the first column and every other node one column right
 * of the furthest node with an edge into it; destinations share the last
 * column. Within a column, nodes keep the service's order.
 */
export function layoutTopology(nodes: LiveNode[], edges: LiveEdge[]): TopologyLayout {
  const column = new Map<string, number>();
  for (const node of nodes) {
    if (node.kind === 'originator' || node.kind === 'client') column.set(node.name, 0);
  }
  // Longest path from a client; the route legs form no cycle, and the
  // bound stops a malformed topology from looping.
  for (let pass = 0; pass < nodes.length; pass++) {
    let changed = false;
    for (const edge of edges) {
      const from = column.get(edge.from);
      if (from === undefined) continue;
      if ((column.get(edge.to) ?? -1) < from + 1) {
        column.set(edge.to, from + 1);
        changed = true;
      }
    }
    if (!changed) break;
  }
  for (const node of nodes) {
    if (!column.has(node.name)) column.set(node.name, node.kind === 'inbound-gateway' ? 1 : node.kind === 'delegated' ? 2 : 1);
  }
  const lastColumn = Math.max(1, ...nodes.filter((n) => n.kind !== 'destination').map((n) => (column.get(n.name) ?? 0) + 1));
  for (const node of nodes) {
    if (node.kind === 'destination') column.set(node.name, Math.max(lastColumn, column.get(node.name) ?? 0));
  }

  // Rows column by column: a node goes level with the nodes that send to
  // it, and among equals, the continuation of the deepest route first, so
  // a leg that skips columns runs below the nodes it passes.
  const columnCount = Math.max(0, ...column.values()) + 1;
  const rowOf = new Map<string, number>();
  const rows = new Map<number, number>();
  for (let c = 0; c < columnCount; c++) {
    const members = nodes.filter((n) => column.get(n.name) === c);
    const keyed = members.map((node, order) => {
      const senders = edges.filter((e) => e.to === node.name && rowOf.has(e.from));
      const row = senders.length === 0 ? Infinity : senders.reduce((sum, e) => sum + (rowOf.get(e.from) ?? 0), 0) / senders.length;
      const depth = Math.max(-1, ...senders.map((e) => column.get(e.from) ?? -1));
      return { node, row, depth, order };
    });
    keyed.sort((a, b) => a.row - b.row || b.depth - a.depth || a.order - b.order);
    keyed.forEach(({ node }, row) => rowOf.set(node.name, row));
    rows.set(c, keyed.length);
  }
  const placed: PlacedNode[] = nodes.map((node) => {
    const c = column.get(node.name) ?? 0;
    const row = rowOf.get(node.name) ?? 0;
    return { node, column: c, x: MARGIN + c * (NODE_WIDTH + COLUMN_GAP), y: MARGIN + row * (NODE_HEIGHT + ROW_GAP) };
  });
  const byName = new Map(placed.map((p) => [p.node.name, p]));
  const placedEdges: PlacedEdge[] = [];
  for (const edge of edges) {
    const from = byName.get(edge.from);
    const to = byName.get(edge.to);
    if (!from || !to) continue;
    const x1 = from.x + NODE_WIDTH;
    const y1 = from.y + NODE_HEIGHT / 2;
    const x2 = to.x;
    const y2 = to.y + NODE_HEIGHT / 2;
    if (to.column - from.column <= 1) {
      const bend = Math.max(30, (x2 - x1) / 2);
      placedEdges.push({
        edge,
        path: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
        labelX: (x1 + x2) / 2,
        labelY: (y1 + y2) / 2 - 6,
      });
      continue;
    }
    // A leg past other columns runs level with its target, or between the
    // rows when the target is on the sender's row, so it crosses no node.
    const run = y2 > from.y + NODE_HEIGHT ? y2 : from.y + NODE_HEIGHT + ROW_GAP / 2;
    const turn = COLUMN_GAP / 2;
    placedEdges.push({
      edge,
      path: `M${x1},${y1} C${x1 + turn},${y1} ${x1 + turn},${run} ${x1 + COLUMN_GAP},${run} L${x2 - COLUMN_GAP},${run} C${x2 - turn},${run} ${x2 - turn},${y2} ${x2},${y2}`,
      labelX: (x1 + COLUMN_GAP + x2 - COLUMN_GAP) / 2,
      labelY: run - 6,
    });
  }
  const columns = Math.max(0, ...placed.map((p) => p.column)) + 1;
  const tallest = Math.max(1, ...rows.values());
  return {
    nodes: placed,
    edges: placedEdges,
    width: MARGIN * 2 + columns * NODE_WIDTH + (columns - 1) * COLUMN_GAP,
    height: MARGIN * 2 + tallest * NODE_HEIGHT + Math.max(0, tallest - 1) * ROW_GAP,
  };
}

export const CERTIFICATE_STATUS_TEXT: Record<NodeCertificateStatus, { icon: string; text: string }> = {
  valid: { icon: '✓', text: 'certificates valid' },
  expiring: { icon: '!', text: 'certificate expiring' },
  expired: { icon: '✕', text: 'certificate expired' },
  invalid: { icon: '✕', text: 'certificate revoked or not yet valid' },
  missing: { icon: '?', text: 'certificate missing' },
};

/** Colours of the plotted hops, picked by position so each hop keeps its colour. */
export const SERIES_COLOURS = ['#2f6f9f', '#c0392b', '#1e8449', '#8e44ad', '#d68910', '#17a589', '#5d6d7e', '#a04000'];

export type UplotData = [number[], ...(number | null)[][]];

/**
 * Returns the uPlot data of one figure: the bucket starts, then one series
 * per hop in the order of `hops`.
 */
export function figureData(figures: HopFigures, pick: 'requests' | 'p50' | 'p99', hops: string[]): UplotData {
  const series = hops.map((hop) => {
    const found = figures.series.find((s) => s.hop === hop);
    if (!found) return figures.buckets.map(() => null);
    switch (pick) {
      case 'requests':
        return found.requests_per_second;
      case 'p50':
        return found.p50_ms;
      case 'p99':
        return found.p99_ms;
    }
  });
  return [figures.buckets, ...series];
}

/** Sums the requests of every hop over the window. */
export function totalRequests(figures: HopFigures, hop: string): number {
  const series = figures.series.find((s) => s.hop === hop);
  if (!series) return 0;
  return Math.round(series.requests_per_second.reduce((sum, rate) => sum + rate * figures.bucket_seconds, 0));
}
