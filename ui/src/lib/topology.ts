// Pure helpers of the topology screen: the hops of a route and where each
// validation finding belongs.

import type { DestinationView, IntermediaryView, TopologyFinding } from './types';

export type HopKind = 'public-url' | 'inbound-gateway' | 'delegated' | 'unknown' | 'private-url';

/** One box of a drawn route. */
export interface Hop {
  kind: HopKind;
  /** The URL of an end, or the intermediary name. */
  label: string;
  /** What the hop listens on, when known. */
  detail: string | null;
}

/**
 * Lists the hops a request takes to `destination`: its public URL, each
 * intermediary of the route, and its private URL. An intermediary missing
 * from `intermediaries` becomes an `unknown` hop, so a broken route still
 * draws.
 */
export function routeHops(destination: DestinationView, intermediaries: IntermediaryView[]): Hop[] {
  const hops: Hop[] = [{ kind: 'public-url', label: destination.public_url, detail: null }];
  for (const name of destination.route) {
    const intermediary = intermediaries.find((i) => i.name === name);
    hops.push({
      kind: intermediary ? intermediary.kind : 'unknown',
      label: name,
      detail: intermediary ? intermediary.listen_urls.join(', ') : null,
    });
  }
  hops.push({ kind: 'private-url', label: destination.private_url, detail: null });
  return hops;
}

/** The part of a destination or intermediary a finding is shown beside. */
export type FindingPlace = 'public-url' | 'private-url' | 'route' | 'credentials' | 'listen-urls';

const PLACE_BY_CODE: Record<string, FindingPlace> = {
  'public-url-not-covered': 'public-url',
  'duplicate-public-url': 'public-url',
  'nested-public-url': 'public-url',
  'private-url-not-covered': 'private-url',
  'listen-url-not-covered': 'listen-urls',
  'route-loop': 'route',
  'route-missing': 'route',
  'route-not-from-gateway': 'route',
  'route-wrong-kind': 'route',
};

/**
 * Places a finding by its code. Certificate and credential findings, and
 * codes this UI does not know yet, go beside the credentials, because they
 * name a credential as their value.
 */
export function findingPlace(finding: TopologyFinding): FindingPlace {
  if (finding.element_kind === 'route') return 'route';
  return PLACE_BY_CODE[finding.code] ?? 'credentials';
}

/** Key of the element a finding belongs to; a route belongs to its destination. */
export function elementKey(kind: 'destination' | 'intermediary', name: string): string {
  return `${kind}:${name}`;
}

export type PlacedFindings = Map<FindingPlace, TopologyFinding[]>;

/** Groups findings by element and then by the place they are shown. */
export function groupFindings(findings: TopologyFinding[]): Map<string, PlacedFindings> {
  const groups = new Map<string, PlacedFindings>();
  for (const finding of findings) {
    const owner = finding.element_kind === 'intermediary' ? 'intermediary' : 'destination';
    const key = elementKey(owner, finding.element);
    const places = groups.get(key) ?? new Map<FindingPlace, TopologyFinding[]>();
    const place = findingPlace(finding);
    places.set(place, [...(places.get(place) ?? []), finding]);
    groups.set(key, places);
  }
  return groups;
}

/** Number of findings of one element, over all places. */
export function findingCount(places: PlacedFindings | undefined): number {
  let count = 0;
  for (const list of places?.values() ?? []) count += list.length;
  return count;
}

/** Splits a text area of URLs or names into trimmed non-empty lines or comma-separated items. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
