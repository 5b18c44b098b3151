import { describe, expect, it } from 'vitest';
import { NODE_HEIGHT, NODE_WIDTH, figureData, layoutTopology, totalRequests } from './live';
import type { HopFigures, LiveEdge, LiveNode } from './exchangeTypes';

const node = (name: string, kind: LiveNode['kind']): LiveNode => ({
  name,
  kind,
  urls: [],
  credentials: [],
  certificate_status: 'valid',
  fault: null,
  requests: 0,
});
const edge = (from: string, to: string, requests = 1): LiveEdge => ({ from, to, requests });

describe('layoutTopology', () => {
  const nodes = [
    node('clinic-a', 'originator'),
    node('int-one', 'inbound-gateway'),
    node('int-two', 'delegated'),
    node('d-corp', 'destination'),
    node('b-corp', 'destination'),
  ];
  const edges = [edge('clinic-a', 'int-one'), edge('int-one', 'int-two'), edge('int-two', 'd-corp'), edge('int-one', 'b-corp')];

  it('puts hops in route order and destinations last', () => {
    const layout = layoutTopology(nodes, edges);
    const columns = Object.fromEntries(layout.nodes.map((p) => [p.node.name, p.column]));
    expect(columns).toEqual({ 'clinic-a': 0, 'int-one': 1, 'int-two': 2, 'd-corp': 3, 'b-corp': 3 });
    const dCorp = layout.nodes.find((p) => p.node.name === 'd-corp');
    const bCorp = layout.nodes.find((p) => p.node.name === 'b-corp');
    expect(bCorp!.y).toBeGreaterThan(dCorp!.y);
  });

  it('puts the deepest route first among equals', () => {
    // b-corp comes first from the service, but d-corp continues int-two's row.
    const reordered = [nodes[0], nodes[1], nodes[2], nodes[4], nodes[3]];
    const layout = layoutTopology(reordered, edges);
    const row = (name: string) => layout.nodes.find((p) => p.node.name === name)!.y;
    expect(row('d-corp')).toBe(row('int-two'));
    expect(row('b-corp')).toBeGreaterThan(row('d-corp'));
  });

  it('runs a leg past a column below the nodes it passes', () => {
    const layout = layoutTopology(nodes, edges);
    const skip = layout.edges.find((e) => e.edge.to === 'b-corp')!;
    const intTwo = layout.nodes.find((p) => p.node.name === 'int-two')!;
    expect(skip.labelY + 6).toBeGreaterThan(intTwo.y + NODE_HEIGHT);
  });

  it('draws an edge from side to side', () => {
    const layout = layoutTopology(nodes, edges);
    const first = layout.edges[0];
    const from = layout.nodes[0];
    expect(first.path.startsWith(`M${from.x + NODE_WIDTH},`)).toBe(true);
    expect(layout.edges).toHaveLength(4);
    expect(layout.width).toBeGreaterThan(4 * NODE_WIDTH);
  });

  it('places nodes without edges', () => {
    const layout = layoutTopology([node('int-one', 'inbound-gateway'), node('d-corp', 'destination')], []);
    expect(layout.nodes.map((p) => p.column)).toEqual([1, 2]);
    expect(layout.edges).toEqual([]);
  });

  it('ends on a loop', () => {
    const layout = layoutTopology([node('c', 'originator'), node('a', 'delegated'), node('b', 'delegated')], [edge('c', 'a'), edge('a', 'b'), edge('b', 'a')]);
    expect(layout.nodes).toHaveLength(3);
  });
});

describe('figureData', () => {
  const figures: HopFigures = {
    buckets: [100, 105],
    bucket_seconds: 5,
    series: [{ hop: 'int-one', requests_per_second: [0.4, 1], p50_ms: [2, 3], p99_ms: [4, null] }],
  };

  it('orders series by hop and fills absent hops with gaps', () => {
    expect(figureData(figures, 'requests', ['int-one', 'int-two'])).toEqual([[100, 105], [0.4, 1], [null, null]]);
    expect(figureData(figures, 'p99', ['int-one'])).toEqual([[100, 105], [4, null]]);
  });

  it('totals the requests of a hop', () => {
    expect(totalRequests(figures, 'int-one')).toBe(7);
    expect(totalRequests(figures, 'int-two')).toBe(0);
  });
});
