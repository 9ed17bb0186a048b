import { describe, expect, it } from 'vitest';
import { visitorOf } from '../src/core/http/visitor.js';

describe('visitorOf', () => {
  it('is the IPv4 address, also when mapped into IPv6', () => {
    expect(visitorOf('203.0.113.7')).toBe('203.0.113.7');
    expect(visitorOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('is the /64 of an IPv6 address, however it is written', () => {
    expect(visitorOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(visitorOf('2001:0db8:0001:0002:ffff:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(visitorOf('2001:db8::5')).toBe('2001:db8:0:0::/64');
    expect(visitorOf('::1')).toBe('0:0:0:0::/64');
    expect(visitorOf('2001:db8:1:3::1')).not.toBe(visitorOf('2001:db8:1:2::1'));
  });
});
