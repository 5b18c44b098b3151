import { describe, expect, it } from 'vitest';
import { findingCount, findingPlace, groupFindings, routeHops, splitList } from './topology';
import type { DestinationView, IntermediaryView, TopologyFinding } from './types';

const INTERMEDIARIES: IntermediaryView[] = [
  { name: 'int-one', kind: 'inbound-gateway', listen_urls: ['https://fhir.int-one.test:8443/'], credentials: ['d-corp-public'] },
  { name: 'int-two', kind: 'delegated', listen_urls: ['https://int-two.internal.test:9444/'], credentials: ['int-two-private'] },
];

const D_CORP: DestinationView = {
  name: 'd-corp',
  public_url: 'https://fhir.int-one.test:8443/d-corp',
  private_url: 'https://d-corp.internal.test:9443/fhir',
  endpoint_credential: 'd-corp-private',
  signing_credential: 'd-corp-signing',
  route: ['int-one', 'int-two'],
};

function finding(code: string, element_kind: TopologyFinding['element_kind'], element: string): TopologyFinding {
  return { code, element_kind, element, value: 'v', message: 'm', fix: 'f' };
}

describe('routeHops', () => {
  it('draws public URL, gateway, delegated and private URL in order', () => {
    const hops = routeHops(D_CORP, INTERMEDIARIES);
    expect(hops.map((h) => h.kind)).toEqual(['public-url', 'inbound-gateway', 'delegated', 'private-url']);
    expect(hops[0].label).toBe(D_CORP.public_url);
    expect(hops[2].detail).toBe('https://int-two.internal.test:9444/');
    expect(hops[3].label).toBe(D_CORP.private_url);
  });

  it('marks an intermediary missing from the topology as unknown', () => {
    const hops = routeHops({ ...D_CORP, route: ['int-gone'] }, INTERMEDIARIES);
    expect(hops[1]).toEqual({ kind: 'unknown', label: 'int-gone', detail: null });
  });

  it('draws a destination without a route as its two ends', () => {
    expect(routeHops({ ...D_CORP, route: [] }, INTERMEDIARIES)).toHaveLength(2);
  });
});

describe('findings', () => {
  it('places each finding beside the field at fault', () => {
    expect(findingPlace(finding('public-url-not-covered', 'destination', 'd-corp'))).toBe('public-url');
    expect(findingPlace(finding('private-url-not-covered', 'destination', 'd-corp'))).toBe('private-url');
    expect(findingPlace(finding('route-loop', 'route', 'd-corp'))).toBe('route');
    expect(findingPlace(finding('listen-url-not-covered', 'intermediary', 'int-two'))).toBe('listen-urls');
    expect(findingPlace(finding('certificate-expired', 'intermediary', 'int-two'))).toBe('credentials');
    expect(findingPlace(finding('some-new-code', 'destination', 'd-corp'))).toBe('credentials');
  });

  it('groups route findings under their destination', () => {
    const groups = groupFindings([
      finding('route-missing', 'route', 'b-corp'),
      finding('credential-missing', 'destination', 'b-corp'),
      finding('listen-url-not-covered', 'intermediary', 'b-corp'),
    ]);
    const destination = groups.get('destination:b-corp');
    expect(destination?.get('route')).toHaveLength(1);
    expect(destination?.get('credentials')).toHaveLength(1);
    expect(findingCount(destination)).toBe(2);
    expect(findingCount(groups.get('intermediary:b-corp'))).toBe(1);
    expect(findingCount(groups.get('destination:d-corp'))).toBe(0);
  });
});

describe('splitList', () => {
  it('splits on lines and commas and drops blanks', () => {
    expect(splitList(' https://a.test/ \n\nhttps://b.test/, https://c.test/ ')).toEqual([
      'https://a.test/',
      'https://b.test/',
      'https://c.test/',
    ]);
    expect(splitList('  ')).toEqual([]);
  });
});
