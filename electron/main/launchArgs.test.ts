import { describe, expect, it } from 'vitest';
import { launchTarget } from './launchArgs.js';

describe('launchTarget', () => {
  it('skips the app path of a default app (electron .)', () => {
    expect(launchTarget(['/usr/bin/electron', '.', 'photos'], true, '/home/me')).toBe('/home/me/photos');
    expect(launchTarget(['/usr/bin/electron', '.'], true, '/home/me')).toBeNull();
  });

  it('takes the first argument of a packaged app, skipping switches', () => {
    expect(launchTarget(['/opt/Sightline/sightline', '--no-sandbox', '/data/p.sightline'], false, '/')).toBe('/data/p.sightline');
    expect(launchTarget(['/Applications/Sightline', '-psn_0_12345'], false, '/')).toBeNull();
  });
});
